import { BackendLabels, OTHER_BACKEND, UNKNOWN_BACKEND, sanitizeLabelValue } from '../labels';

test('sanitizeLabelValue keeps quotes, backslashes and line feeds for the writer to escape', () => {
  expect(sanitizeLabelValue('a"b\\c\nd')).toBe('a"b\\c\nd');
});

test('sanitizeLabelValue replaces other control characters and lone surrogates', () => {
  expect(sanitizeLabelValue('a\rb\tc\u0000d\u007f')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFD');
  expect(sanitizeLabelValue('x\ud800y')).toBe('x\uFFFDy');
  expect(sanitizeLabelValue('x\udc00y')).toBe('x\uFFFDy');
  expect(sanitizeLabelValue('ok \ud83d\ude00')).toBe('ok \ud83d\ude00');
});

test('sanitizeLabelValue caps the length without splitting a surrogate pair', () => {
  expect(sanitizeLabelValue('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  const cut = sanitizeLabelValue(`${'x'.repeat(8)}\ud83d\ude00zz`, 10);
  expect(cut).toBe(`${'x'.repeat(8)}…`);
  expect(sanitizeLabelValue('', 10)).toBe(UNKNOWN_BACKEND);
});

test('BackendLabels keeps the first maxBackends names and folds the rest into other', () => {
  const labels = new BackendLabels({ maxBackends: 2 });
  expect(labels.label(undefined)).toBe(UNKNOWN_BACKEND);
  expect(labels.label('docker')).toBe('docker');
  expect(labels.label('none')).toBe('none');
  expect(labels.label('bubblewrap')).toBe(OTHER_BACKEND);
  expect(labels.label('docker')).toBe('docker');
  expect(labels.label('other')).toBe(OTHER_BACKEND);
  expect(labels.label('unknown')).toBe(UNKNOWN_BACKEND);
  expect(labels.foldedCount).toBe(1);
});

test('10 000 distinct names give at most maxBackends + 2 label values', () => {
  const labels = new BackendLabels();
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(labels.label(`backend-${i}-${'y'.repeat(i % 300)}`));
  seen.add(labels.label(undefined));
  expect(seen.size).toBe(22);
  expect(seen.has(OTHER_BACKEND)).toBe(true);
});

test('names that share a cut prefix share a label and do not use a second slot', () => {
  const labels = new BackendLabels({ maxBackends: 1, maxLabelLength: 8 });
  expect(labels.label('abcdefghij-1')).toBe('abcdefg…');
  expect(labels.label('abcdefghij-2')).toBe('abcdefg…');
  expect(labels.label('z')).toBe(OTHER_BACKEND);
});

test('options are validated with the usual message shape', () => {
  expect(() => new BackendLabels({ maxBackends: -1 })).toThrow(
    /^Expected `maxBackends` to be a finite integer >= 0 and <= 10000, got `-1` \(number\)$/,
  );
  expect(() => new BackendLabels({ maxLabelLength: 2 })).toThrow(/^Expected `maxLabelLength` to be/);
});
