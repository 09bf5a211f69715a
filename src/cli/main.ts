#!/usr/bin/env node
import { calibrateCommand } from './commands/calibrate';
import { changesCommand } from './commands/changes';
import { compareCommand } from './commands/compare';
import { demoCommand } from './commands/demo';
import { gcCommand } from './commands/gc';
import { poolCommand } from './commands/pool';
import { reportCommand } from './commands/report';
import { predictCommand } from './commands/predict';
import { runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { UsageError, type Command, type CommandIo } from './command';
import { printable } from '../printable';
import { version } from './version';

/** How long the process may linger after the command is done before it exits anyway. */
const EXIT_GRACE_MS = 2000;

export const COMMANDS: readonly Command[] = [
  runCommand,
  compareCommand,
  reportCommand,
  changesCommand,
  serveCommand,
  demoCommand,
  calibrateCommand,
  predictCommand,
  gcCommand,
  poolCommand,
];

function topUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `sandbox-perf ${version} — measures what sandboxing costs

Usage: sandbox-perf <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  --help      this text (and 'sandbox-perf <command> --help' for each command)
  --version   print the version

Examples:
  sandbox-perf compare --sandbox none,unshare,bubblewrap --runs 10 -- node -e 0
  sandbox-perf run --sandbox bubblewrap --timeout 60000 -- npm test
  sandbox-perf report --since 7d
  sandbox-perf changes --sandbox docker
  sandbox-perf serve --canary --every 10m --sandbox unshare,gvisor -- node -e 0
  sandbox-perf pool --advise --rate 2 --sandbox docker-pool
`;
}

/**
 * parse → dispatch → exit code. `Error: …` on stderr; 2 for a UsageError (the class every
 * mistake in the command line is thrown as: the CLI checks each value before the library sees
 * it), 1 for anything else.
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      throw new UsageError(
        `unknown command '${name}'; expected one of ${COMMANDS.map((c) => c.name).join(', ')} (see: sandbox-perf --help)`,
      );
    }
    return await command.run(rest, io);
  } catch (error) {
    // Escaped line by line: a message may quote what the user typed (a path, an option, a host), and
    // an escape sequence in it retitled or cleared the terminal (hostile trial 2026-12-07).
    const message = (error instanceof Error ? error.message : String(error)).split('\n').map(printable).join('\n');
    io.stderr.write(`Error: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** The working directory, or null (with the error said) when it no longer exists: removed under a shell still in it. */
function workingDirectory(): string | null {
  try {
    return process.cwd();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    process.stderr.write(
      `Error: Expected the working directory to exist, got ${code} (it was removed while a shell was still in it): cd to an existing directory and run again\n`,
    );
    return null;
  }
}

/**
 * A reader that closes its end (`| head -1`) is not an error of the command: its output is
 * dropped from then on, and the work goes on (compare's exports are written, serve keeps serving).
 * Before, an unhandled EPIPE ended compare, changes and serve with a Node stack trace.
 */
function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

/** The command line's entry: the working directory checked first, a reader's closed end allowed. */
function start(): void {
  ignoreClosedReader(process.stdout);
  ignoreClosedReader(process.stderr);
  const cwd = workingDirectory();
  if (cwd === null) {
    process.exitCode = 2;
    return;
  }
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd }).then(
    (code) => {
      process.exitCode = code;
      // The exit code is the command's even if something left behind (a writer thread stuck on a
      // broken file system, a socket) would keep the process alive: unref'd, this fires only then.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    },
    (error: unknown) => {
      process.stderr.write(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) start();
