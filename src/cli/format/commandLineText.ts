import type { CommandLine } from '../../runners/host/commandLine';
import { shellQuote, shellQuoteWord } from '../../shellQuote';

/**
 * `run --print-command`: the line a run executes and times, what it needs around it (comments),
 * and the same line ready for `hyperfine -N` in the same environment and working directory.
 */
export function commandLineText(line: CommandLine): string {
  const env = Object.entries(line.env).map(([name, value]) => `${name}=${value}`);
  const by = line.timer === 'spawner' ? 'the spawner execs it and reads the clock around it' : 'Node spawns it (no spawner built)';
  const out = [`# ${line.backend}: what each run executes and times (${by})`, `# working directory: ${line.cwd}`];
  out.push(`# environment, nothing else: ${shellQuote(env)}`);
  if (line.prepared !== null)
    out.push(`# prepared once and kept for this line: ${line.prepared} (remove it with: rm -rf ${shellQuoteWord(line.prepared)})`);
  if (line.beforeEachRun.length > 0) out.push(`# before each run's clock starts (untimed): ${line.beforeEachRun.join('; ')}`);
  out.push(shellQuote(line.argv));
  if (line.hyperfine.join('\0') !== line.argv.join('\0'))
    out.push('# for hyperfine, the launcher reports on stderr (hyperfine opens no descriptor 3):');
  else out.push('# for hyperfine:');
  out.push(`cd ${shellQuoteWord(line.cwd)} && env -i ${shellQuote(env)} hyperfine -N ${shellQuoteWord(shellQuote(line.hyperfine))}`);
  return `${out.join('\n')}\n`;
}
