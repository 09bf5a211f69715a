import { logOnce } from '../../log';
import { printable } from '../../printable';
import { changeLine, readChangeMarks, type ChangeMark } from '../../state/read/changeMarks';
import { assertReadableVersion } from '../../state/schema';
import type { HistoryConnection } from './HistoryConnection';

/** How often `serve` looks for new change points. */
export const DEFAULT_CHANGE_INTERVAL_MS = 60_000;

/**
 * Looks at the history's change points on an interval (an unref'd timer: it never keeps the
 * process alive) and logs a line for each one it has not seen before. The first look only
 * says how many there are and which is the newest. A change point is known by its series and
 * time; failures are logged once and the next look tries again.
 */
export class ChangeWatch {
  private readonly known = new Set<string>();
  private primed = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly history: HistoryConnection,
    private readonly log: (line: string) => void,
    intervalMs = DEFAULT_CHANGE_INTERVAL_MS,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.check(), intervalMs);
      this.timer.unref();
    }
  }

  /** One look: the change points not seen before (all of them the first time), newest first. */
  check(): ChangeMark[] {
    const state = this.history.get();
    if (!state.ok) return [];
    let marks: ChangeMark[];
    try {
      marks = readChangeMarks(state.db, assertReadableVersion(state.db, state.db.name));
    } catch (error) {
      logOnce(error, `sandbox-perf serve: could not look for change points in ${this.history.path}`);
      return [];
    }
    const fresh = marks.filter((m) => !this.known.has(`${m.metric}\u0000${m.backend}\u0000${m.workload ?? ''}\u0000${m.time}`));
    for (const m of fresh) this.known.add(`${m.metric}\u0000${m.backend}\u0000${m.workload ?? ''}\u0000${m.time}`);
    if (!this.primed) {
      this.primed = true;
      const newest = fresh[0];
      this.log(
        `sandbox-perf serve: ${fresh.length} change point${fresh.length === 1 ? '' : 's'} in the history` +
          `${newest ? ` (newest: ${printable(changeLine(newest))})` : ''}; new ones are logged here`,
      );
    } else {
      for (const m of [...fresh].reverse()) this.log(`sandbox-perf serve: new change point: ${printable(changeLine(m))}`);
    }
    return fresh;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
