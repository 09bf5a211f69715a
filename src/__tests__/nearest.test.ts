import { levenshtein, nearest } from '../nearest';

test('levenshtein: insertions, deletions and substitutions cost 1 each', () => {
  expect(levenshtein('', '')).toBe(0);
  expect(levenshtein('abc', '')).toBe(3);
  expect(levenshtein('kitten', 'sitting')).toBe(3);
  expect(levenshtein('tiemout', 'timeout')).toBe(2);
  expect(levenshtein('flaw', 'lawn')).toBe(2);
});

test('nearest: case, prefixes, then the closest within a third of the word; nothing when far', () => {
  const keys = ['timeoutMs', 'maxOutputBytes', 'cwd', 'env'];
  expect(nearest('TIMEOUTMS', keys)).toBe('timeoutMs');
  expect(nearest('timeout', keys)).toBe('timeoutMs');
  expect(nearest('tiemout', keys)).toBe('timeoutMs');
  expect(nearest('maxOutputByte', keys)).toBe('maxOutputBytes');
  expect(nearest('cdw', keys)).toBe('cwd');
  expect(nearest('network', keys)).toBeUndefined();
});
