import { UsageError } from '../command';
import { parseArgs, requireCommand, type FlagSpecs } from '../args';

const specs = {
  runs: { type: 'string', short: 'r' },
  'no-shell': { type: 'boolean', short: 'N' },
  shell: { type: 'string', short: 'S', value: 'SHELL', bare: '/bin/sh' },
  'ignore-failure': { type: 'string', short: 'i', value: 'CODES', bare: 'all-non-zero', equalsOnly: true },
  'command-name': { type: 'string', short: 'n', value: 'NAME', repeatable: true },
  'parameter-scan': { type: 'string', short: 'P', value: 'VAR MIN MAX', arity: 3 },
  'parameter-list': { type: 'string', short: 'L', value: 'VAR VALUES', arity: 2, repeatable: true },
  style: { type: 'choice', choices: ['auto', 'basic', 'none'] },
} as const satisfies FlagSpecs;

const parse = (argv: string[]) => parseArgs(argv, specs, 'compare', { interspersed: true });

test("hyperfine's form: commands as positionals, flags before, between and after them", () => {
  expect(parse(['-N', 'sleep 0.1', '-r', '3', 'sleep 0.2', '--style', 'basic'])).toEqual({
    flags: { 'no-shell': true, runs: '3', style: 'basic' },
    positionals: ['sleep 0.1', 'sleep 0.2'],
    command: null,
  });
  // Without interspersed (run, report…), the first positional still ends the options: `run node -e 0` is a forgotten `--`.
  expect(parseArgs(['node', '-e', '0'], specs, 'run').positionals).toEqual(['node', '-e', '0']);
  expect(() => parse(['node', '-e', '0'])).toThrow(
    /^unknown option '-e' for 'compare'; if it belongs to the command "node", quote the whole command as one argument or put it after '--'/,
  );
});

test('repeatable flags keep every use in order; flags of several words take them as they are, signs included', () => {
  const p = parse(['-n', 'a', '--command-name=b', '-P', 'x', '-5', '5', '-L', 'c', 'gcc,clang', '-L', 'o', '1,2', 'cmd']);
  expect(p.flags).toEqual({
    'command-name': ['a', 'b'],
    'parameter-scan': ['x', '-5', '5'],
    'parameter-list': [
      ['c', 'gcc,clang'],
      ['o', '1,2'],
    ],
  });
  expect(() => parse(['-P', 'x', '1'])).toThrow(/^-P \(--parameter-scan\) needs 3 values \(VAR MIN MAX\)$/);
  expect(() => parse(['-L', 'x', '--', 'true'])).toThrow(/^-L \(--parameter-list\) needs 2 values \(VAR VALUES\)$/);
});

test('--shell takes the next word unless it is an option or `--`; -i takes a value only after =', () => {
  expect(parse(['--shell', '--', 'exit 0']).flags.shell).toBe('/bin/sh');
  expect(parse(['--shell', '-r', '2', 'x']).flags).toEqual({ shell: '/bin/sh', runs: '2' });
  expect(parse(['--shell', 'bash', 'x']).flags.shell).toBe('bash');
  expect(parse(['-S', 'zsh -f', 'x']).flags.shell).toBe('zsh -f');
  expect(parse(['--shell=none', 'x']).flags.shell).toBe('none');
  expect(parse(['-i', 'false']).flags['ignore-failure']).toBe('all-non-zero');
  expect(parse(['-i', 'false']).positionals).toEqual(['false']);
  expect(parse(['-i=1,2', 'false']).flags['ignore-failure']).toBe('1,2');
  expect(parse(['--ignore-failure=3', 'false']).flags['ignore-failure']).toBe('3');
  expect(() => parse(['-i2', 'x'])).toThrow(/^-i \(--ignore-failure\) takes its value as -i=CODES$/);
  expect(() => parse(['-N=1'])).toThrow(/^-N \(--no-shell\) takes no value$/);
});

test('a choice names the flag, the bad value and the choices', () => {
  expect(() => parse(['--style', 'fancy'])).toThrow(
    /^Expected `--style` to be one of auto, basic, none, got `"fancy"` \(e\.g\. --style auto\)$/,
  );
});

test('a number flag without a bound of its own names the implicit one when a value passes it', () => {
  const numbers = { at: { type: 'number', min: 0, value: 'SIZE' } } as const satisfies FlagSpecs;
  // Before: "--at expects a decimal number >= 0, got "1000…"", which the value is.
  expect(() => parseArgs(['--at', `1${'0'.repeat(30)}`], numbers, 'compare')).toThrow(
    /^Expected `--at` to be a decimal number from 0 to 9007199254740991, got `"10{30}"`/,
  );
  expect(() => parseArgs(['--at', 'abc'], numbers, 'compare')).toThrow(/^Expected `--at` to be a decimal number >= 0, got `"abc"`/);
  expect(parseArgs(['--at', '100000'], numbers, 'compare').flags).toEqual({ at: 100000 });
});

test('an empty program name is a usage error before anything runs (before: spawned, "cannot run \\"\\" (spawn  ENOENT)", exit 1)', () => {
  for (const command of [[''], ['', 'x'], ['  ']]) {
    const call = () => requireCommand({ flags: {}, positionals: [], command }, 'predict');
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/^the command after '--' has an empty program name, got "\s*"; e\.g\. sandbox-perf predict -- node -e 0$/);
  }
  expect(() => requireCommand({ flags: {}, positionals: [], command: [] }, 'run')).toThrow(/^the command after '--' is empty/);
  expect(requireCommand({ flags: {}, positionals: [], command: ['true'] }, 'run')).toEqual(['true']);
});

test('a list flag refuses an empty item (none,,unshare or a trailing comma: a typo, not nothing)', () => {
  const lists = { sandbox: { type: 'list', value: 'BACKENDS' } } as const satisfies FlagSpecs;
  expect(parseArgs(['--sandbox', 'none, unshare'], lists, 'run').flags.sandbox).toEqual(['none', 'unshare']);
  for (const raw of ['none,,unshare', 'none,', ',', '']) {
    expect(() => parseArgs(['--sandbox', raw], lists, 'run')).toThrow(UsageError);
  }
  expect(() => parseArgs(['--sandbox', 'none,,unshare'], lists, 'run')).toThrow(
    /^Expected `--sandbox` to be a comma-separated list of BACKENDS without empty items, got /,
  );
});

// A hostile trial of 2026-12-07: `run --db --sandbox=docker-pool -- …` named the history
// `--sandbox=docker-pool` and ran the command unsandboxed, as root.
test("a flag's value that is one of the command's options is refused; written with = it is a value", () => {
  const run = { db: { type: 'string', value: 'FILE' }, sandbox: { type: 'string', value: 'LIST' } } as const satisfies FlagSpecs;
  expect(() => parseArgs(['--db', '--sandbox=docker-pool', '--', 'true'], run, 'run')).toThrow(
    /^Expected `--db` to be FILE, got the option "--sandbox=docker-pool" \(a value that starts with -- is written --db=VALUE\)$/,
  );
  expect(() => parseArgs(['--db', '--sandbox', 'docker', '--', 'true'], run, 'run')).toThrow(/got the option "--sandbox"/);
  expect(parseArgs(['--db=--sandbox', '--', 'true'], run, 'run').flags.db).toBe('--sandbox');
  expect(parseArgs(['--db', '--not-an-option', '--', 'true'], run, 'run').flags.db).toBe('--not-an-option');
});
