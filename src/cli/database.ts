import fs from 'node:fs';
import path from 'node:path';
import { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { StateDatabase, resolveDbPath } from '../state/StateDatabase';
import { UsageError, type CommandIo } from './command';

/** The history file of a command: --db, else SANDBOX_PERF_DB of the command's environment, else the default. */
export function dbPathFor(flag: unknown, io: CommandIo): string {
  const chosen = typeof flag === 'string' ? flag : io.env.SANDBOX_PERF_DB;
  return chosen ? path.resolve(io.cwd, chosen) : resolveDbPath(path.join(io.cwd, '.sandbox-perf', 'state.db'));
}

/** A monitor writing to the command's database; close `db` before exiting. */
export function openRecording(dbPath: string, thresholdMs: number | undefined): { db: StateDatabase; monitor: SandboxPerfMonitor } {
  const db = new StateDatabase({ path: dbPath });
  const monitor = new SandboxPerfMonitor({ sink: db, ...(thresholdMs === undefined ? {} : { alertThresholdMs: thresholdMs }) });
  return { db, monitor };
}

/** Export files are checked before any run, so a typo does not cost a whole comparison. */
export function assertWritableTarget(flag: string, file: string, cwd: string): string {
  const full = path.resolve(cwd, file);
  const dir = path.dirname(full);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`--${flag}: the folder ${dir} does not exist (create it first, or choose another path)`);
  }
  return full;
}
