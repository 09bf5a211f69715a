import { PassThrough } from 'node:stream';
import { parseArgs } from '../../args';
import { COMPARE_FLAGS, compareCommand } from '../../commands/compare';
import { compareWorkloads, ignoredExitCodes, shellChoice } from '../commandLine';

const parse = (argv: string[]) => parseArgs(argv, COMPARE_FLAGS, 'compare', { interspersed: true });
const workloads = (argv: string[]) => compareWorkloads(parse(argv), process.cwd());

/** compare's usage errors come before any run: the call rejects with the message, nothing is measured. */
async function refused(argv: string[]): Promise<string> {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: process.cwd() };
  try {
    await compareCommand.run(argv, io);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`compare ${argv.join(' ')} was not refused`);
}

test('-N and --shell=none: no shell, said explicitly; --shell [SHELL]: that shell; nothing said: no shell either', () => {
  expect(shellChoice(parse(['-N', 'x']).flags)).toEqual({ argv: null, explicit: true });
  expect(shellChoice(parse(['--shell=none', 'x']).flags)).toEqual({ argv: null, explicit: true });
  expect(shellChoice(parse(['x']).flags)).toEqual({ argv: null, explicit: false });
  expect(shellChoice(parse(['--shell', '--', 'x']).flags)).toEqual({ argv: ['/bin/sh'], explicit: true });
  expect(shellChoice(parse(['--shell', 'default', 'x']).flags)).toEqual({ argv: ['/bin/sh'], explicit: true });
  expect(shellChoice(parse(['-S', 'bash --norc', 'x']).flags)).toEqual({ argv: ['bash', '--norc'], explicit: true });
  expect(() => shellChoice(parse(['-N', '--shell', 'bash', 'x']).flags)).toThrow(
    /^-N \(--shell=none\) and --shell "bash" contradict each other; keep one$/,
  );
  expect(() => shellChoice(parse(['--shell', "bash 'x", 'y']).flags)).toThrow(
    /^Expected `--shell` to be a shell's command line, got `"bash 'x"`/,
  );
  // hyperfine's --shell takes the next word: a command there is a mistake, refused before it runs as a shell.
  expect(() => shellChoice(parse(['--shell', 'sleep 0.1 && true', 'false']).flags)).toThrow(
    /^Expected `--shell` to be a shell's command line, got `"sleep 0\.1 && true"`, which reads as a command \('&'\): name the shell first/,
  );
});

test('-i / --ignore-failure: every code, or the codes listed after =', () => {
  expect(ignoredExitCodes(parse(['x']).flags)).toBeUndefined();
  expect(ignoredExitCodes(parse(['-i', 'x']).flags)).toBe('all');
  expect(ignoredExitCodes(parse(['--ignore-failure=all-non-zero', 'x']).flags)).toBe('all');
  expect(ignoredExitCodes(parse(['-i=1, 2', 'x']).flags)).toEqual([1, 2]);
  expect(() => ignoredExitCodes(parse(['--ignore-failure=yes', 'x']).flags)).toThrow(
    /^Expected `--ignore-failure` to be 'all-non-zero' or comma-separated exit codes, got `"yes"` \(e\.g\. --ignore-failure=1,2 or -i\)$/,
  );
});

test('commands in hyperfine form or after --, -n, -P with -D, -L; several means the exports hold a list', () => {
  expect(workloads(['--', 'node', '-e', '0'])).toEqual({
    plans: [{ name: null, command: ['node', '-e', '0'], parameters: {}, hooks: {} }],
    several: false,
  });
  expect(workloads(['--shell', '--', 'exit', '0']).plans[0]?.command).toEqual(['/bin/sh', '-c', 'exit 0']);
  const two = workloads(['-n', 'fast', 'sleep 0.1', 'sleep 0.2', '-r', '3']);
  expect(two.plans.map((p) => [p.name, p.command])).toEqual([
    ['fast', ['sleep', '0.1']],
    ['sleep 0.2', ['sleep', '0.2']],
  ]);
  expect(two.several).toBe(true);
  const scan = workloads(['-P', 'd', '0.1', '0.3', '-D', '0.1', '--prepare', 'echo {d}', '--', 'sleep', '{d}']);
  expect(scan.plans.map((p) => [p.command, p.parameters, p.hooks])).toEqual([
    [['sleep', '0.1'], { d: '0.1' }, { prepare: 'echo 0.1' }],
    [['sleep', '0.2'], { d: '0.2' }, { prepare: 'echo 0.2' }],
    [['sleep', '0.3'], { d: '0.3' }, { prepare: 'echo 0.3' }],
  ]);
  // One value of a parameter is still a parametrized call: the exports keep the list shape a script reads.
  expect(workloads(['-L', 'n', '1', 'echo {n}']).several).toBe(true);
});

test('bad values and combinations are refused before any run, naming the flag', async () => {
  expect(await refused(['--style', 'fancy', 'true'])).toMatch(
    /^Expected `--style` to be one of auto, basic, full, nocolor, color, none, got `"fancy"` \(e\.g\. --style auto\)$/,
  );
  expect(await refused(['-u', 'minute', 'true'])).toMatch(
    /^Expected `--time-unit` to be one of microsecond, millisecond, second, got `"minute"` \(e\.g\. --time-unit microsecond\)$/,
  );
  expect(await refused(['-D', '0.5', 'true'])).toMatch(/^-D \(--parameter-step-size\) steps a scan: it needs -P VAR MIN MAX/);
  expect(await refused(['-P', 'n', '1', '2', '-L', 'm', 'a', 'true'])).toMatch(
    /^-P \(--parameter-scan\) and -L \(--parameter-list\) cannot be combined/,
  );
  expect(await refused(['-P', 'n', '1', 'x', 'true'])).toMatch(/^Expected `--parameter-scan`'s MAX to be a decimal number, got `"x"`/);
  expect(await refused(['-L', 'n'])).toMatch(/^-L \(--parameter-list\) needs 2 values \(VAR VALUES\)$/);
  expect(await refused(['-n', 'a', '-n', 'b', 'true'])).toMatch(/^Expected `--command-name` at most once per command \(1\)/);
  expect(await refused(['true', '--', 'false'])).toMatch(/^give the commands either as quoted arguments .* or one after '--', not both/);
  expect(await refused([])).toMatch(/^'compare' needs the commands to run: each as one quoted argument/);
  expect(await refused(['sleep 1 | cat'])).toMatch(/uses shell syntax \('\|'\).*add --shell/);
  expect(await refused(['--save-baseline', 'b', 'true', 'false'])).toMatch(
    /^--save-baseline keeps or reads one comparison; this call has 2/,
  );
});
