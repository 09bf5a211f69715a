import { parseArgs } from '../../args';
import { shellQuote } from '../../../shellQuote';
import { ADAPTIVE_DEFAULTS, parsePrecision, runPlan } from '../runOptions';

test('runs: a count, auto, or auto implied by an adaptive flag; errors name the flag', () => {
  expect(runPlan({})).toEqual({ runs: 10, warmup: 1 });
  expect(runPlan({ runs: '3', warmup: 'auto' })).toEqual({ runs: 3, warmup: 'auto' });
  expect(runPlan({ runs: 'auto' })).toEqual({ runs: 200, adaptive: ADAPTIVE_DEFAULTS, warmup: 1 });
  expect(runPlan({ precision: '2%', 'min-runs': 4, 'max-runs': 50, 'max-time': 30 })).toEqual({
    runs: 50,
    adaptive: { precision: 0.02, minRuns: 4, maxRuns: 50, maxTimeMs: 30_000 },
    warmup: 1,
  });
  expect(() => runPlan({ runs: '0' })).toThrow(
    /^Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"0"` \(e\.g\. --runs 10 or --runs auto\)$/,
  );
  expect(() => runPlan({ warmup: '-1' })).toThrow(/^Expected `--warmup` to be a decimal integer from 0 to 10000 or 'auto', got `"-1"`/);
  expect(() => runPlan({ runs: '100001' })).toThrow(/from 1 to 100000 or 'auto', got `"100001"`/);
  expect(() => runPlan({ runs: '1e3' })).toThrow(/got `"1e3"`/);
  expect(() => runPlan({ runs: '5', 'max-runs': 9 })).toThrow(/^--max-runs applies to adaptive runs/);
  // The bad value first, then the conflict (hostile trial 2026-12-07: only the conflict was said).
  expect(() => runPlan({ runs: '2', precision: 'abc' })).toThrow(/^Expected `--precision` to be a percentage > 0 and < 100, got `"abc"`/);
  expect(() => runPlan({ 'min-runs': 30, 'max-runs': 20 })).toThrow(/^--min-runs \(30\) is above --max-runs \(20\)/);
  expect(parsePrecision('5%')).toBeCloseTo(0.05, 12);
  expect(parsePrecision('0.5')).toBeCloseTo(0.005, 12);
  expect(() => parsePrecision('100%')).toThrow(/^Expected `--precision` to be a percentage > 0 and < 100, got `"100%"`/);
  expect(() => parsePrecision('five')).toThrow(/got `"five"`/);
});

test('short flags -r5, -r 5, -w auto; unknown short flags still rejected', () => {
  const specs = {
    runs: { type: 'string', short: 'r' },
    warmup: { type: 'string', short: 'w' },
    shell: { type: 'boolean', short: 'S' },
  } as const;
  expect(parseArgs(['-r5', '-w', 'auto', '-S', '--', 'x'], specs, 'compare').flags).toEqual({ runs: '5', warmup: 'auto', shell: true });
  expect(() => parseArgs(['-x', '--', 'x'], specs, 'compare')).toThrow(/unknown option '-x' for 'compare'/);
  expect(() => parseArgs(['-r'], specs, 'compare')).toThrow(/^-r \(--runs\) needs a value/);
  expect(() => parseArgs(['-Sx'], specs, 'compare')).toThrow(/^-S \(--shell\) takes no value/);
});

test('argv quoted as a shell would', () => {
  expect(shellQuote(['sh', '-c', 'exit 1'])).toBe("sh -c 'exit 1'");
  expect(shellQuote(['echo', "it's", '', 'a=b,c/d.e'])).toBe(`echo 'it'\\''s' '' a=b,c/d.e`);
  expect(shellQuote(['$HOME', 'x;y'])).toBe("'$HOME' 'x;y'");
});
