import { spawnSync } from 'node:child_process';

/** A host backend's command line for a command, as hyperfine -N runs it. */
export interface PrintedCommand {
  /** The line, shell-quoted (hyperfine -N splits it the way a shell would, without one). */
  command: string;
  /** The environment the line runs in (hyperfine passes its own to the command); null: the scenario's. */
  env: Record<string, string> | null;
  /** What the CLI prepared and kept for the line (a sandbox's root): removed once the scenario is done. */
  kept: string | null;
  /** What the spawner does before each run's clock starts (`beforeEachRun`), in the CLI's words. */
  beforeEachRun: string[];
}

/** Quotes one argument for hyperfine -N (which splits like a POSIX shell). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function strings(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((a) => typeof a === 'string');
}

/**
 * What `sandbox-perf run --sandbox <backend> --print-command --json -- <command>` prints (issue 27,
 * item 2): the line each run executes, its `hyperfine` form (the launcher reports on standard error,
 * since hyperfine opens no descriptor 3), the environment, the kept root and what precedes each run. The reason instead, in
 * the CLI's own words, when this build prints no such thing: the scenario then reports n/a with it.
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
      const printed = JSON.parse(child.stdout) as { hyperfine?: unknown; env?: unknown; prepared?: unknown; beforeEachRun?: unknown };
      if (strings(printed.hyperfine)) {
        const env = typeof printed.env === 'object' && printed.env !== null ? (printed.env as Record<string, string>) : null;
        const kept = typeof printed.prepared === 'string' ? printed.prepared : null;
        const beforeEachRun = Array.isArray(printed.beforeEachRun) ? printed.beforeEachRun.filter((s) => typeof s === 'string') : [];
        return { command: printed.hyperfine.map(shellQuote).join(' '), env, kept, beforeEachRun };
      }
    } catch {
      // Not the JSON above: reported as missing with what was printed.
    }
  }
  const said = `${child.stderr}${child.stdout}`.trim().split('\n')[0] ?? '';
  return { missing: `\`run --print-command\` printed no command line (exit ${String(child.status)}: ${said.slice(0, 120)})` };
}
