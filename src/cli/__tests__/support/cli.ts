import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultDbPath } from '../../../state/dbPath';

/** The built CLI (`npm run build`; `npm test` builds first). */
export const CLI = path.resolve(__dirname, '../../../../dist/cli/main.js');
export const cliBuilt = fs.existsSync(CLI);
/** `describe` when dist/ is built, else a skipped block with the command that builds it. */
export function describeBuilt(title: string, body: () => void): void {
  if (cliBuilt) {
    describe(title, body);
    return;
  }
  process.stderr.write(`skipped ${title}: ${CLI} is missing (run: npm run build)\n`);
  describe.skip(title, body);
}

export interface Outcome {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Bytes written to stdout, counted without keeping them when `countOnly` is set. */
  stdoutBytes: number;
}

/**
 * XDG_STATE_HOME of a CLI run in `cwd`: a sibling folder, so the default history (defaultDbPath)
 * is outside the working directory, as in real use, and never in the tester's home.
 */
export function stateHomeOf(cwd: string): string {
  return `${cwd}-state`;
}

/** Where a CLI run in `cwd` keeps its history when neither --db nor SANDBOX_PERF_DB is given. */
export function defaultHistoryOf(cwd: string): string {
  return defaultDbPath({ XDG_STATE_HOME: stateHomeOf(cwd) }, cwd);
}

/** Runs the CLI as a real child process in `cwd`; `env` adds to a minimal environment. */
export function cli(
  args: readonly string[],
  cwd: string,
  options: { env?: NodeJS.ProcessEnv; countOnly?: boolean; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: stateHomeOf(cwd), NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (!options.countOnly) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox-perf ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr, stdoutBytes });
    });
  });
}

/** Rows in the spec's table, 0 when the file does not exist. */
export function rowCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
