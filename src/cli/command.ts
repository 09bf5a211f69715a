import type { Writable } from 'node:stream';

/** Where a command writes; tests pass their own streams. */
export interface CommandIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** One subcommand: one file under src/cli/commands/. `run` returns the process exit code. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  usage: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

/** A mistake in how the command was called: printed as `Error: …` with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
