import { log } from '../../log';
import { beforeSignalDeath, dieOfSignal } from '../../signalDeath';

/** What the exit hooks need from a database. */
export interface ExitFlushable {
  readonly path: string;
  flush(timeoutMs: number): Promise<unknown>;
  drain(timeoutMs: number): Promise<void>;
  writeRemainingSync(): void;
}

const open = new Set<ExitFlushable>();
const SIGNAL_FLUSH_TIMEOUT_MS = 5000;
let installed = false;
let beforeExitFlushing = false;
let unregisterLastWords: (() => void) | undefined;

function onBeforeExit(): void {
  // beforeExit fires again whenever the loop drains; one flush attempt per drain is enough.
  if (beforeExitFlushing || open.size === 0) return;
  beforeExitFlushing = true;
  void Promise.all([...open].map((db) => db.flush(SIGNAL_FLUSH_TIMEOUT_MS))).finally(() => {
    beforeExitFlushing = false;
  });
}

function onExit(): void {
  for (const db of open) db.writeRemainingSync();
}

function onSignal(signal: NodeJS.Signals): void {
  const dbs = [...open];
  // drain, not flush: the runner may go on recording until the process really ends.
  void Promise.all(dbs.map((db) => db.drain(SIGNAL_FLUSH_TIMEOUT_MS))).finally(() => {
    // Only re-raise when nobody else handles the signal: then the default action (exit) follows.
    process.removeListener(signal, onSignal);
    if (process.listenerCount(signal) === 0) {
      // What drain left (a history locked past its timeout, rows queued since): the last write, as at exit.
      onExit();
      uninstall();
      dieOfSignal(signal);
    }
  });
  if (dbs.length > 0 && process.stderr.isTTY) log(`sandbox-perf: ${signal}: writing queued rows before exit`);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  // Another handler (a run's cleanup) may re-raise the signal later: the rows queued meanwhile are written first.
  unregisterLastWords = beforeSignalDeath(onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
  unregisterLastWords?.();
  unregisterLastWords = undefined;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/**
 * Registers a database whose queue must be written when the process ends: on SIGINT/SIGTERM
 * (flush, then the default action unless someone else handles the signal), on beforeExit
 * (flush), and on exit (a synchronous last write). Returns the unregister function.
 */
export function installExitHooks(db: ExitFlushable): () => void {
  open.add(db);
  install();
  return () => {
    open.delete(db);
    if (open.size === 0) uninstall();
  };
}
