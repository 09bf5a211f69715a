import type { BackendScaling, ScalingResult } from '../../../compare/scaling';
import { colours } from '../../terminal';
import { scalingText } from '../scalingText';

const plain = colours({ isTTY: false } as never, {});
const interval = (estimate: number, halfWidth: number) => ({
  estimate,
  low: estimate - halfWidth,
  high: estimate + halfWidth,
  level: 0.95,
  method: 'weighted-least-squares',
});

function backend(name: string, measure: BackendScaling['measure'], a: number, b: number, bHalfWidth: number, at: number): BackendScaling {
  return {
    backend: name as BackendScaling['backend'],
    measure,
    perSize: [],
    fixedMs: interval(a, 1),
    perUnitMs: interval(b, bHalfWidth),
    lackOfFitP: 0.5,
    atMs: interval(a + at * b, at * bHalfWidth),
  };
}

test("the extrapolation says when the slope's interval holds 0, and only then", () => {
  const result: ScalingResult = {
    parameter: 'files',
    sizes: [1, 2, 4],
    at: 100_000,
    baseline: 'none',
    backends: [backend('none', 'duration', 4.4, -0.59, 1.0, 100_000), backend('docker', 'isolation', 250, 0.41, 0.04, 100_000)],
  };
  const lines = scalingText(result, plain).split('\n');
  // Before: "none  runs in -59.0 s […]" with nothing to say the line does not resolve the size's effect.
  expect(lines.find((l) => l.startsWith('  none ') && l.includes('runs in'))).toMatch(
    /runs in .* {2}b's interval holds 0: how files adds is not resolved at these sizes \(run larger ones\)$/,
  );
  expect(lines.find((l) => l.startsWith('  docker ') && l.includes('costs'))).toMatch(/costs \+41\.25\d s \[[^\]]*\]$/);
});
