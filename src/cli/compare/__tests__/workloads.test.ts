import { parameterList, parameterScan } from '../parameters';
import { expandWorkloads, type WorkloadInput } from '../workloads';

const base: WorkloadInput = {
  lines: null,
  argv: null,
  shell: { argv: null, explicit: false },
  names: [],
  scan: null,
  lists: [],
  hooks: {},
};
const plans = (input: Partial<WorkloadInput>) => expandWorkloads({ ...base, ...input });

test('several commands in hyperfine form: each split into words, each its own workload, named as typed', () => {
  expect(plans({ lines: ['sleep 0.1', `sh -c 'exit 0'`] })).toEqual([
    { name: 'sleep 0.1', command: ['sleep', '0.1'], parameters: {}, hooks: {} },
    { name: `sh -c 'exit 0'`, command: ['sh', '-c', 'exit 0'], parameters: {}, hooks: {} },
  ]);
  expect(plans({ lines: ['a', 'b'], names: ['first'] }).map((p) => p.name)).toEqual(['first', 'b']);
  expect(() => plans({ lines: ['a'], names: ['x', 'y'] })).toThrow(
    /^Expected `--command-name` at most once per command \(1\), got 2 names$/,
  );
});

test('--shell SHELL runs each line through it; shell syntax without a shell is refused unless -N says so', () => {
  expect(plans({ lines: ['sleep 0.1 && true'], shell: { argv: ['bash', '--norc'], explicit: true } })[0]?.command).toEqual([
    'bash',
    '--norc',
    '-c',
    'sleep 0.1 && true',
  ]);
  expect(() => plans({ lines: ['sleep 0.1 && true'] })).toThrow(
    /^the command "sleep 0\.1 && true" uses shell syntax \('&'\), and commands run without a shell here .*add --shell/,
  );
  expect(plans({ lines: ['echo $HOME'], shell: { argv: null, explicit: true } })[0]?.command).toEqual(['echo', '$HOME']);
  expect(() => plans({ lines: ["echo 'a"] })).toThrow(/^the command "echo 'a" cannot be split into words: a single quote is not closed$/);
  expect(() => plans({ lines: ['  '] })).toThrow(/^the command " {2}" is empty$/);
});

test('-L: the command changes fastest, then the first list (hyperfine 1.15 ran the same order); values in names and hooks', () => {
  const p = plans({
    lines: ['echo {a} {b}', 'true {a}'],
    lists: [parameterList(['a', '1,2']), parameterList(['b', 'x,y'])],
    hooks: { prepare: 'make {a}', cleanup: 'rm -f out' },
  });
  expect(p.map((w) => w.name)).toEqual(['echo 1 x', 'true 1', 'echo 2 x', 'true 2', 'echo 1 y', 'true 1', 'echo 2 y', 'true 2']);
  expect(p[2]).toEqual({
    name: 'echo 2 x',
    command: ['echo', '2', 'x'],
    parameters: { a: '2', b: 'x' },
    hooks: { prepare: 'make 2', cleanup: 'rm -f out' },
  });
  expect(() => plans({ lines: ['x'], lists: [parameterList(['a', '1']), parameterList(['a', '2'])] })).toThrow(
    /^Expected `--parameter-list` to name each parameter once, got `"a"` twice$/,
  );
});

test('-P: the value changes slowest; the `--` form substitutes each word; -n once for all or once per benchmark', () => {
  const scan = parameterScan(['n', '1', '3'], undefined);
  const p = plans({ argv: ['node', '-e', 'f({n})'], scan, names: ['size {n}'] });
  expect(p.map((w) => [w.name, w.command, w.parameters])).toEqual([
    ['size 1', ['node', '-e', 'f(1)'], { n: '1' }],
    ['size 2', ['node', '-e', 'f(2)'], { n: '2' }],
    ['size 3', ['node', '-e', 'f(3)'], { n: '3' }],
  ]);
  // No -n with the `--` form: the argv names it, as it always has.
  expect(plans({ argv: ['true'], scan })[0]?.name).toBeNull();
  expect(plans({ lines: ['a {n}', 'b {n}'], scan }).map((w) => w.name)).toEqual(['a 1', 'b 1', 'a 2', 'b 2', 'a 3', 'b 3']);
  expect(() => plans({ argv: ['true'], scan, names: ['a', 'b'] })).toThrow(
    /^Expected `--command-name` once for all or exactly once per benchmark \(3\), got 2 names$/,
  );
  expect(plans({ argv: ['x', '{n}'], scan, shell: { argv: ['/bin/sh'], explicit: true } })[1]?.command).toEqual(['/bin/sh', '-c', 'x 2']);
});

// A hostile trial of 2026-12-07: `-n $'x\n<img …>\033]0;OWNED\007'` split the Markdown export's row
// and wrote the escape into the Markdown and CSV files, which `cat` then played to the terminal.
test('-n: a name with a control character is refused, as run --workload refuses one', () => {
  expect(() => plans({ lines: ['true'], names: ['x\n| injected | row |'] })).toThrow(
    /^Expected `--command-name` to be a name without control characters, got `"x\\n\| injected \| row \|"`$/,
  );
  expect(() => plans({ lines: ['true'], names: ['x\u001b]0;OWNED\u0007'] })).toThrow(/without control characters/);
  expect(plans({ lines: ['true'], names: ['<b>fine</b> {v}'] }).map((p) => p.name)).toEqual(['<b>fine</b> {v}']);
});
