/**
 * Dying of a re-raised signal, and what must happen just before. A process that re-raises SIGINT or
 * SIGTERM (so that its exit status says "killed by the signal") ends without an `exit` event: a
 * history's queue written by the `exit` hook would be lost. Whoever must write something before such
 * a death registers it here, and whoever re-raises calls `dieOfSignal`.
 */
import { logOnce } from './log';

const lastWords = new Set<() => void>();

/** Registers a synchronous action to run right before the process dies of a re-raised signal; returns its unregister function. */
export function beforeSignalDeath(action: () => void): () => void {
  lastWords.add(action);
  return () => lastWords.delete(action);
}

/** Runs the registered actions (one failing does not stop the others), then re-raises `signal` on this process. */
export function dieOfSignal(signal: NodeJS.Signals): void {
  for (const action of [...lastWords]) {
    try {
      action();
    } catch (error) {
      logOnce(error, `sandbox-perf: ${signal}: a last write before exit failed`);
    }
  }
  process.kill(process.pid, signal);
}
