import { assertSandboxId, hasUnsafeChars, MAX_ID_LENGTH } from '../validation';

/*
 * assertSandboxId accepts most ids through one regular expression (printable ASCII) before the
 * full check: the two must agree on every id.
 */

/** The rule as written before the shortcut: a string of 1 to MAX_ID_LENGTH characters without unsafe characters. */
function acceptedByTheRule(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && !hasUnsafeChars(id);
}

function accepted(id: unknown): boolean {
  try {
    assertSandboxId(id);
    return true;
  } catch {
    return false;
  }
}

test('every code unit alone, and inside an ASCII id, is accepted exactly when the rule accepts it', () => {
  const disagreements: string[] = [];
  for (let unit = 0; unit <= 0xffff; unit++) {
    for (const id of [String.fromCharCode(unit), `sb-${String.fromCharCode(unit)}-1`]) {
      if (accepted(id) !== acceptedByTheRule(id)) disagreements.push(JSON.stringify(id));
    }
  }
  expect(disagreements).toEqual([]);
});

test.each([
  ['the longest ASCII id', 'a'.repeat(MAX_ID_LENGTH), true],
  ['one character more', 'a'.repeat(MAX_ID_LENGTH + 1), false],
  ['the empty string', '', false],
  ['DEL', 'sb\x7f', false],
  ['a surrogate pair', 'sb-\ud83d\ude00', true],
  ['a lone surrogate', 'sb-\ud83d', false],
  ['a non-ASCII letter past the length bound', 'é'.repeat(MAX_ID_LENGTH + 1), false],
  ['a number', 42, false],
])('%s', (_label, id, expected) => {
  expect(accepted(id)).toBe(expected);
});
