import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { expectation, ValidationError } from '../validation';

/**
 * The default history of the working directory `cwd`:
 * `$XDG_STATE_HOME/sandbox-perf/<folder name>-<12 hex digits of SHA-256(cwd)>/state.db`, with
 * `XDG_STATE_HOME` defaulting to `~/.local/state` (XDG Base Directory). Outside the working
 * directory on purpose: every backend binds that directory writable, and a history inside it
 * could be destroyed or forged by the sandboxed command (issue 12). One history per working
 * directory, as the former `./.sandbox-perf/state.db` was.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const xdg = env.XDG_STATE_HOME;
  const stateHome = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || os.homedir(), '.local', 'state');
  const absolute = path.resolve(cwd);
  const name =
    path
      .basename(absolute)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40) || 'root';
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  return path.join(stateHome, 'sandbox-perf', `${name}-${hash}`, 'state.db');
}

/** A history file and which rule chose it. */
export interface DbPathChoice {
  /** Absolute. */
  file: string;
  from: 'option' | 'SANDBOX_PERF_DB' | 'default';
}

/** The one rule: the option, else SANDBOX_PERF_DB (empty counts as unset), else defaultDbPath(). */
export function chooseDbPath(option?: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): DbPathChoice {
  if (option !== undefined && (typeof option !== 'string' || option.length === 0 || option.includes('\0'))) {
    throw new ValidationError(expectation('path', 'a non-empty file path', option));
  }
  if (option !== undefined) return { file: path.resolve(cwd, option), from: 'option' };
  const fromEnv = env.SANDBOX_PERF_DB;
  if (fromEnv) return { file: path.resolve(cwd, fromEnv), from: 'SANDBOX_PERF_DB' };
  return { file: defaultDbPath(env, cwd), from: 'default' };
}

/** The database file: the option, else SANDBOX_PERF_DB (empty counts as unset), else defaultDbPath(); absolute. */
export function resolveDbPath(option?: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return chooseDbPath(option, env, cwd).file;
}
