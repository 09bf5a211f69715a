import type { ParsedArgs } from '../../args';
import { UsageError } from '../../command';
import { scalePlan } from '../scaleFlags';

/** compare's arguments as parseArgs gives them: `--scale` as typed, the command after `--`. */
function args(scale: string, command: string[] | null, flags: ParsedArgs['flags'] = {}, positionals: string[] = []): ParsedArgs {
  return { flags: { scale, ...flags }, positionals, command };
}

describe('--scale sizes', () => {
  test('each size is capped as --at is: beyond Number.MAX_SAFE_INTEGER it is not the number typed', () => {
    const call = () => scalePlan(args('0,99999999999999999999999', ['sh', 'build.sh', '{size}']));
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/^Expected `--scale` to be sizes as decimal numbers from 0 to 9007199254740991, got `"99999999999999999999999"`$/);
    expect(scalePlan(args(`0,${Number.MAX_SAFE_INTEGER}`, ['sh', '{size}'])).scale?.sizes).toEqual([0, Number.MAX_SAFE_INTEGER]);
  });

  test('an empty item is refused, naming the list (before: 1,,2 ran as 1,2)', () => {
    for (const list of ['1,,2', '1,2,', ',1,2']) {
      expect(() => scalePlan(args(list, ['sh', '{size}']))).toThrow(
        new RegExp(`^Expected \`--scale\` to be comma-separated sizes with none empty, got \`"${list}"\``),
      );
    }
  });

  test('without {size} in the command or a hook every size runs the same workload: a usage error', () => {
    const call = () => scalePlan(args('1,2', ['true']));
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/^--scale sizes replace \{size\} in the command or its hooks, and neither has it/);
    // A label is not a workload.
    expect(() => scalePlan(args('1,2', ['true'], { 'command-name': ['n={size}'] }))).toThrow(/neither has it/);
    expect(() => scalePlan(args('1,2', ['true'], { 'scale-name': 'files' }, []))).toThrow(/replace \{files\}/);
    expect(() => scalePlan(args('1,2', ['sh', 'build.sh', '{files}']))).toThrow(/replace \{size\}/);
  });

  test('{size} in the command, a quoted command (hyperfine form) or a hook is enough', () => {
    expect(scalePlan(args('1,2', ['sh', '-c', 'seq {size}'])).scale?.parameter).toBe('size');
    expect(scalePlan(args('1,2', null, {}, ['seq {size}'])).scale?.sizes).toEqual([1, 2]);
    expect(scalePlan(args('1,2', ['sh', 'build.sh'], { prepare: 'make-files {size}' })).scale?.sizes).toEqual([1, 2]);
    expect(scalePlan(args('1,2', ['ls'], { 'scale-name': 'files', setup: 'mk {files}' })).scale?.parameter).toBe('files');
  });
});
