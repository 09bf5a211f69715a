/**
 * argv as a POSIX shell would need it typed: words of safe characters stay bare, anything else
 * is single-quoted, with a single quote written as '\'' . So the header of `compare -- sh -c
 * 'exit 1'` reads `sh -c 'exit 1'`, and pasting it into a shell runs the same argv.
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuoteWord(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellQuote(argv: readonly string[]): string {
  return argv.map(shellQuoteWord).join(' ');
}
