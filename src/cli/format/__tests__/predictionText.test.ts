import type { PredictionCheck } from '../../../calibrate/prediction';
import { checkText } from '../predictionText';

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
});
