import { parseArgs } from '../args';
import { COMPARE_FLAGS } from '../commands/compare';
import { poolOption } from '../compare/poolSizeFlag';

describe("compare's --pool-size", () => {
  const parse = (argv: string[]) => parseArgs([...argv, '--', 'true'], COMPARE_FLAGS, 'compare');

  test('N is a fixed size, MIN-MAX a pool that sizes itself, nothing the default', () => {
    expect(poolOption(parse(['--pool-size', '4']).flags)).toEqual({ pool: { size: 4 } });
    expect(poolOption(parse(['--pool-size', '2-8']).flags)).toEqual({ pool: { size: { min: 2, max: 8 } } });
    expect(poolOption(parse([]).flags)).toEqual({});
  });

  test.each([['0'], ['65'], ['8-2'], ['2-'], ['two'], ['1.5'], ['2-100']])(
    '%s is a usage error naming the flag and both forms',
    (value) => {
      expect(() => poolOption(parse(['--pool-size', value]).flags)).toThrow(
        `Expected \`--pool-size\` to be N (a fixed size) or MIN-MAX (a pool that sizes itself), 1 to 64, got \`${JSON.stringify(value)}\` (e.g. --pool-size 2-8)`,
      );
    },
  );
});
