import { printable, printableDeep } from '../printable';

describe('printable', () => {
  test('terminal injection: escape sequences, BEL and a newline are escaped, not passed raw', () => {
    expect(printable('none\u001b[2J\u001b]0;PWNED\u0007\nx')).toBe('none\\x1b[2J\\x1b]0;PWNED\\x07\\x0ax');
  });

  test.each([
    ['tab and carriage return', 'a\tb\rc', 'a\\x09b\\x0dc'],
    ['DEL and C1 (CSI 0x9b)', 'a\u007fb\u009b2J', 'a\\x7fb\\x9b2J'],
    ['right-to-left override and isolate', 'exe.\u202egnp\u2066x\u2069', 'exe.\\u202egnp\\u2066x\\u2069'],
    ['line separator', 'a\u2028b', 'a\\u2028b'],
    ['lone high surrogate', 'a\ud800b', 'a\\ud800b'],
    ['lone low surrogate', 'a\udc00', 'a\\udc00'],
  ])('%s', (_, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  test('printable text passes unchanged: accents, CJK, emoji (a valid surrogate pair), backslashes', () => {
    const text = 'docker-warm été 沙箱 🚀 C:\\tmp';
    expect(printable(text)).toBe(text);
  });

  test('printableDeep escapes every string and key, keeps numbers, booleans and null', () => {
    const value = { 'k\n': ['a\u001b', 1, true, null, { b: 'x\u202e' }], n: 2.5 };
    expect(printableDeep(value)).toEqual({ 'k\\x0a': ['a\\x1b', 1, true, null, { b: 'x\\u202e' }], n: 2.5 });
  });
});
