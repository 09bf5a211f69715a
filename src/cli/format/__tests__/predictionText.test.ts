import type { Prediction, PredictionCheck } from '../../../calibrate/prediction';
import { checkText, predictionText } from '../predictionText';

const check: PredictionCheck = {
  backend: 'gvisor',
  predictedMs: 12,
  measured: { estimate: 10, low: 8, high: 13, level: 0.95, method: 't' },
  relativeError: 0.2,
  withinTolerance: false,
  insideMeasuredInterval: true,
};

describe('predict --check: checkText', () => {
  test('no round paired: no empty "Checked against" heading, but that no round paired and why', () => {
    const text = checkText([], 2, [{ backend: 'bubblewrap', pairs: 0, why: 'exited with code 3' }]);
    expect(text).not.toMatch(/Checked against/);
    expect(text).toBe('bubblewrap: not checked, no round of 2 paired (exited with code 3)\n');
  });

  test('one backend checked, one not: the heading over the check, the other said under it', () => {
    const text = checkText([check], 4, [{ backend: 'docker', pairs: 1, why: 'exited with code 1' }]);
    expect(text.split('\n')).toEqual([
      'Checked against 4 paired rounds:',
      '  gvisor: predicted +12.00 ms, measured +10.00 ms [+8.00 ms … +13.00 ms]: error +20.0 % (outside ±15 %; inside the measured 95 % interval)',
      '  docker: not checked, one round of 4 paired (exited with code 1)',
      '',
    ]);
  });

  test('a backend whose runs failed in some rounds: the heading says the rounds asked, its line the rounds paired', () => {
    const text = checkText([check, { ...check, backend: 'docker', pairs: 4 }, { ...check, backend: 'bubblewrap', pairs: 3 }], 4);
    expect(text.split('\n').slice(0, 4)).toEqual([
      'Checked against paired rounds (4 asked):',
      expect.stringMatching(/^ {2}gvisor: predicted \+12\.00 ms, measured \+10\.00 ms \[\+8\.00 ms … \+13\.00 ms\]: error/),
      expect.stringMatching(/^ {2}docker: predicted \+12\.00 ms, measured \+10\.00 ms \[\+8\.00 ms … \+13\.00 ms\]: error/),
      expect.stringMatching(
        /^ {2}bubblewrap: predicted \+12\.00 ms, measured \+10\.00 ms \[\+8\.00 ms … \+13\.00 ms\] from 3 paired: error/,
      ),
    ]);
    expect(checkText([{ ...check, pairs: 4 }], 4)).toMatch(/^Checked against 4 paired rounds:\n/);
  });
});

describe('predictionText: one minus sign', () => {
  const interval = (estimate: number, half: number) => ({
    estimate,
    low: estimate - half,
    high: estimate + half,
    level: 0.95,
    method: 't',
  });
  const zero = interval(0, 0);
  const prediction: Prediction = {
    backend: 'docker',
    fixed: interval(270, 10),
    fixedForFiles: interval(-0.5, 0.1),
    files: 10,
    inCommand: interval(-0.18, 0.07),
    total: interval(269.82, 10),
    attribution: {
      backend: 'docker',
      inCommand: interval(-0.18, 0.07),
      shares: [
        { class: 'start', label: 'start', operations: 1, ms: -0.22, plusMinusMs: 0.05 },
        { class: 'fault', label: 'page faults', operations: 77, ms: 0.04, plusMinusMs: 0.01 },
      ],
    },
  };

  test("a negative in-command total: '−' (U+2212) on both lines, never an ASCII '-', and its parts in ms", () => {
    const text = predictionText([prediction], 'none');
    expect(text).toBe(
      'docker: +269.8 ms [+259.8 ms … +279.8 ms] against none = fixed +270.5 ms − 0.50 ms for 10 creations/removals + in-command −0.18 ms\n' +
        '  in-command: −0.2 ms [−0.3 ms … −0.1 ms], below 0; the largest parts: −0.2 ms start, +0.0 ms page faults\n',
    );
    expect(text).not.toMatch(/-\d/);
    expect(predictionText([{ ...prediction, fixedForFiles: zero, files: 0 }], 'none')).toMatch(
      /= fixed \+270\.0 ms \+ in-command −0\.18 ms\n/,
    );
  });

  test("a negative error of a check is written with '−'", () => {
    expect(checkText([{ ...check, predictedMs: 8, relativeError: -0.2 }], 4)).toMatch(/: error −20\.0 % \(outside/);
  });
});
