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

/** `--help` or `-h` among the command's own words (before any `--`, after which the words are the sandboxed command's). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((word) => word === '--help' || word === '-h');
}

/**
 * A subcommand whose `--help` is answered here, for every command alike: the usage on stdout,
 * exit code 0, and nothing else checked or run. `run` never sees the flag.
 */
export function defineCommand(command: Command): Command {
  return {
    ...command,
    run(argv, io) {
      if (!asksForHelp(argv)) return command.run(argv, io);
      io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return Promise.resolve(0);
    },
  };
}

/** A mistake in how the command was called: printed as `Error: …` with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
