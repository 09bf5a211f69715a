import { log } from '../../log';
import type { Settings } from './settings';

/**
 * One stretch of failed writes, from the first failure to the next success: said once when it
 * starts (and when its SQLite code changes) and once when it ends, with a backoff delay that
 * doubles with each failure up to retryMaxMs.
 */
export class FaultEpisode {
  private code: string | undefined;
  private failures = 0;

  constructor(
    private readonly path: string,
    private readonly settings: Pick<Settings, 'retryBaseMs' | 'retryMaxMs' | 'maxQueue'>,
  ) {}

  /** True while an episode with this code is under way: its events were already said. */
  isCurrent(code: string): boolean {
    return this.code === code;
  }

  /** Counts a failed write with `queued` rows kept; returns the delay before the next try, ms. */
  failed(code: string, text: string, queued: number): number {
    this.failures++;
    if (this.code !== code) {
      this.code = code;
      log(
        `sandbox-perf: cannot write ${this.path} (${code}: ${text}); ${queued} rows kept in memory ` +
          `(at most ${this.settings.maxQueue}), retrying with backoff`,
      );
    }
    return Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
  }

  /** A write succeeded: ends the episode, if any, saying so. */
  recovered(queued: number): void {
    if (this.code !== undefined) {
      log(`sandbox-perf: ${this.path} is writable again (after ${this.code}); ${queued} rows still queued are being written`);
      this.code = undefined;
    }
    this.failures = 0;
  }
}
