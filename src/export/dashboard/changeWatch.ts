import { errorCode, errorMessage, logOnce } from '../../log';
import { printable } from '../../printable';
import { changeLine, readChangeMarks, type ChangeMark } from '../../state/read/changeMarks';
import type { HistoryConnection } from './HistoryConnection';

/** How often `serve` looks for new change points. */
export const DEFAULT_CHANGE_INTERVAL_MS = 60_000;

/** One look at the history's change points: the marks, or why there are none to give. */
export type ChangeLook = { ok: true; marks: ChangeMark[] } | { ok: false; error: { code: string; message: string } | null };

/**
 * The history's change points now (on the summary thread: each series' analysis costs about
 * 10 ms, which would hold up the server's event loop). `error` is null while there is no history yet.
 */
export function lookForChanges(history: HistoryConnection): ChangeLook {
  const state = history.get();
  if (!state.ok) return { ok: false, error: null };
  try {
    return { ok: true, marks: readChangeMarks(state.db, state.version) };
  } catch (error) {
    return { ok: false, error: { code: errorCode(error), message: errorMessage(error) } };
  }
}

/**
 * Looks at the history's change points on an interval (an unref'd timer: it never keeps the
 * process alive) and logs a line for each one it has not seen before. The first look only
 * says how many there are and which is the newest. A change point is known by its series and
 * time. `look` runs the query elsewhere (serve: the summary thread); a look still running when
 * the next is due is not doubled; failures are logged once and the next look tries again.
 */
export class ChangeWatch {
  private readonly known = new Set<string>();
  private primed = false;
  private looking = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly look: () => Promise<ChangeLook>,
    private readonly path: string,
    private readonly log: (line: string) => void,
    intervalMs = DEFAULT_CHANGE_INTERVAL_MS,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.check(), intervalMs);
      this.timer.unref();
    }
  }

  /** One look: the change points not seen before (all of them the first time), newest first. */
  async check(): Promise<ChangeMark[]> {
    if (this.looking || this.closed) return [];
    this.looking = true;
    let look: ChangeLook;
    try {
      look = await this.look();
    } catch (error) {
      look = { ok: false, error: { code: errorCode(error), message: errorMessage(error) } };
    } finally {
      this.looking = false;
    }
    // close() may have run during the look (`as boolean`: TypeScript does not see it change across the await).
    if (this.closed as boolean) return [];
    if (!look.ok) {
      const { error } = look;
      if (error !== null)
        logOnce(
          Object.assign(new Error(error.message), { code: error.code }),
          `sandbox-perf serve: could not look for change points in ${this.path}`,
        );
      return [];
    }
    const key = (m: ChangeMark): string => `${m.metric}\u0000${m.backend}\u0000${m.workload ?? ''}\u0000${m.time}`;
    const fresh = look.marks.filter((m) => !this.known.has(key(m)));
    for (const m of fresh) this.known.add(key(m));
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
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }
}
