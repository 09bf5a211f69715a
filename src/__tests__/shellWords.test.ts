import { shellQuote } from '../shellQuote';
import { splitWords } from '../shellWords';

test('words as a POSIX shell splits them: quotes, backslashes, comments', () => {
  expect(splitWords('grep -i todo').words).toEqual(['grep', '-i', 'todo']);
  expect(splitWords(`  sh -c 'exit 1'  `).words).toEqual(['sh', '-c', 'exit 1']);
  expect(splitWords(`echo "a \\"b\\" \\$x \\n" c\\ d ''`).words).toEqual(['echo', 'a "b" $x \\n', 'c d', '']);
  expect(splitWords(`a'b'"c" # comment`).words).toEqual(['abc']);
  expect(splitWords('a#b').words).toEqual(['a#b']);
  expect(splitWords('').words).toEqual([]);
});

test('shell syntax outside quotes is reported, inside quotes it is not', () => {
  expect(splitWords('sleep 0.1 && echo').shellSyntax).toBe('&');
  expect(splitWords('echo $HOME').shellSyntax).toBe('$');
  expect(splitWords('cat < f').shellSyntax).toBe('<');
  expect(splitWords(`sh -c 'a | b; $(c)'`).shellSyntax).toBeNull();
  expect(splitWords('echo \\$HOME').shellSyntax).toBeNull();
});

test('unterminated quotes and a trailing backslash are errors', () => {
  expect(() => splitWords("echo 'a")).toThrow('a single quote is not closed');
  expect(() => splitWords('echo "a')).toThrow('a double quote is not closed');
  expect(() => splitWords('echo a\\')).toThrow('the line ends with a backslash');
});

test('the inverse of shellQuote', () => {
  for (const argv of [
    ['echo', "it's", '', 'a b', '$x', 'tab\there'],
    ['node', '-e', 'console.log("{}")'],
  ]) {
    expect(splitWords(shellQuote(argv)).words).toEqual(argv);
  }
});
