import type { BackendName } from './types';

/**
 * A backend that cannot run here: the message is `<backend>: <reason> (<command that enables it>)`,
 * the same line `detectBackends` prints.
 */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
    readonly enable: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend}: ${reason} (${enable})`, options);
  }
}

/** A memory or CPU limit was asked for where the backend cannot enforce it. */
export class QuotaUnsupportedError extends Error {
  override name = 'QuotaUnsupportedError';
  constructor(
    readonly backend: BackendName,
    readonly quota: 'memoryBytes' | 'cpus',
    reason: string,
  ) {
    super(`${backend}: cannot enforce \`${quota}\`: ${reason}`);
  }
}

/** run() was called on a backend (or pool, or strict root) before its prepare() finished. */
export class BackendNotPreparedError extends Error {
  override name = 'BackendNotPreparedError';
  constructor(readonly backend: string) {
    super(`${backend}: call prepare() before run()`);
  }
}
