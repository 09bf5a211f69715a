import { spawnSync } from 'node:child_process';

/** A host backend's command line for a command, and the step it needs before each run, as hyperfine takes them. */
export interface PrintedCommand {
  /** The command line, shell-quoted (hyperfine -N splits it the way a shell would, without one). */
  command: string;
  /** What has to run before each run (a prepared root, a group), for hyperfine's --prepare; null when nothing. */
  prepare: string | null;
}

/** Quotes one argument for hyperfine -N (which splits like a POSIX shell). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandLine(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((a) => typeof a === 'string')) return value.map(shellQuote).join(' ');
  return null;
}

/**
 * What `sandbox-perf run --sandbox <backend> --print-command --json -- <command>` prints (issue 27,
 * item 2): `{ "command": argv or line, "prepare": argv, line or null }`. The reason instead, in the
 * CLI's own words, while this build prints no such thing: the scenario then reports n/a with it.
 */
export function printedCommand(
  cli: string,
  backend: string,
  command: readonly string[],
  cwd: string,
): PrintedCommand | { missing: string } {
  const child = spawnSync(process.execPath, [cli, 'run', '--sandbox', backend, '--print-command', '--json', '--', ...command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (child.status === 0) {
    try {
      const printed = JSON.parse(child.stdout) as { command?: unknown; prepare?: unknown };
      const line = commandLine(printed.command);
      const prepare = printed.prepare === null || printed.prepare === undefined ? null : commandLine(printed.prepare);
      if (line !== null) return { command: line, prepare };
    } catch {
      // Not the JSON above: reported as missing with what was printed.
    }
  }
  const said = `${child.stderr}${child.stdout}`.trim().split('\n')[0] ?? '';
  return { missing: `\`run --print-command\` printed no command line (exit ${String(child.status)}: ${said.slice(0, 120)})` };
}
