import { assertKnownKeys, assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../../validation';
import type { Retention } from './SqliteStore';

export interface StateDatabaseOptions {
  /** @default process.env.SANDBOX_PERF_DB (when not empty), else defaultDbPath(): `$XDG_STATE_HOME/sandbox-perf/<cwd name>-<hash>/state.db` */
  path?: string;
  /** Rows that trigger a write; under a backlog one transaction takes up to 20 times this. @default 1000 */
  batchSize?: number;
  /** Longest a row waits before its batch is written, ms. @default 50 */
  flushIntervalMs?: number;
  /** Rows kept while the database cannot be written; past it the oldest are dropped (counted). @default 100000 */
  maxQueue?: number;
  /** How long a write waits for another connection's lock, ms. @default 5000 */
  busyTimeoutMs?: number;
  /** First retry delay after a failed write, doubled up to retryMaxMs. @default 100 */
  retryBaseMs?: number;
  /** @default 30000 */
  retryMaxMs?: number;
  /** Flush on SIGINT, SIGTERM, beforeExit and exit. Turn off if you own shutdown (then call close()). @default true */
  handleExit?: boolean;
  /** Keep N days and/or N rows; pruned in the writer thread. @default undefined (keep everything) */
  retention?: Retention;
  /** How often retention is applied, ms. @default 60000 */
  pruneIntervalMs?: number;
}

export type Settings = Required<Omit<StateDatabaseOptions, 'retention' | 'path'>> & { retention: Retention | undefined };

export const STATE_DATABASE_OPTION_KEYS: readonly (keyof StateDatabaseOptions)[] = [
  'path',
  'batchSize',
  'flushIntervalMs',
  'maxQueue',
  'busyTimeoutMs',
  'retryBaseMs',
  'retryMaxMs',
  'handleExit',
  'retention',
  'pruneIntervalMs',
];

/** How long flush() and close() wait for rows to be written when no timeoutMs is given. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 30_000;

/** The timeoutMs of flush()/close()/drain(): checked, defaulted. */
export function settleTimeout(options: unknown): number {
  assertPlainObject('options', options);
  assertKnownKeys('options', options, ['timeoutMs']);
  const { timeoutMs = DEFAULT_SETTLE_TIMEOUT_MS } = options as { timeoutMs?: unknown };
  // setTimeout's largest delay: a longer one would fire at once.
  assertNumberInRange('timeoutMs', timeoutMs, 0, 2 ** 31 - 1);
  return timeoutMs;
}

export function settingsFrom(options: StateDatabaseOptions): Settings {
  assertPlainObject('options', options);
  assertKnownKeys('options', options, STATE_DATABASE_OPTION_KEYS);
  const s: Settings = {
    batchSize: options.batchSize ?? 1000,
    flushIntervalMs: options.flushIntervalMs ?? 50,
    maxQueue: options.maxQueue ?? 100_000,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    retryBaseMs: options.retryBaseMs ?? 100,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    handleExit: options.handleExit ?? true,
    retention: options.retention,
    pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
  };
  assertNumberInRange('batchSize', s.batchSize, 1, 1_000_000, true);
  assertNumberInRange('flushIntervalMs', s.flushIntervalMs, 0);
  assertNumberInRange('maxQueue', s.maxQueue, 1, Number.MAX_SAFE_INTEGER, true);
  assertNumberInRange('busyTimeoutMs', s.busyTimeoutMs, 0);
  assertNumberInRange('retryBaseMs', s.retryBaseMs, 1);
  assertNumberInRange('retryMaxMs', s.retryMaxMs, s.retryBaseMs);
  assertNumberInRange('pruneIntervalMs', s.pruneIntervalMs, 1);
  if (typeof s.handleExit !== 'boolean') throw new ValidationError(expectation('handleExit', 'a boolean', s.handleExit));
  if (s.retention !== undefined) {
    assertPlainObject('retention', s.retention);
    assertKnownKeys('retention', s.retention, ['maxAgeDays', 'maxRows']);
    if (s.retention.maxAgeDays !== undefined) assertNumberInRange('retention.maxAgeDays', s.retention.maxAgeDays, 0);
    if (s.retention.maxRows !== undefined) assertNumberInRange('retention.maxRows', s.retention.maxRows, 0, Number.MAX_SAFE_INTEGER, true);
  }
  return s;
}
