/**
 * A command line split into argv as a POSIX shell would split it, without running one: what
 * hyperfine does with `-N` (the Rust crate shell-words). Single quotes keep everything; double
 * quotes keep everything but `\` before `$`, `` ` ``, `"`, `\` and a newline; a backslash outside
 * quotes keeps the next character; `#` at the start of a word comments out the rest of the line.
 * The inverse of shellQuote.ts.
 */

/** Characters that mean something only to a shell: a pipe, a list, a redirection, a subshell, an expansion. */
const SHELL_SYNTAX = /[|&;<>()$`]/;

export interface SplitLine {
  words: string[];
  /** The first character, outside quotes, that only a shell would act on (`|`, `&`, `;`, `<`, `>`, `(`, `)`, `$`, `` ` ``), else null. */
  shellSyntax: string | null;
}

/** Throws an Error naming what is wrong (an unterminated quote, a trailing backslash). */
export function splitWords(line: string): SplitLine {
  const words: string[] = [];
  let shellSyntax: string | null = null;
  let word: string | null = null;
  let i = 0;
  const next = (): string | undefined => line[i++];
  for (let c = next(); c !== undefined; c = next()) {
    if (word === null) {
      if (/\s/.test(c)) continue;
      if (c === '#') break;
      word = '';
    }
    if (/\s/.test(c)) {
      words.push(word);
      word = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i);
      if (end < 0) throw new Error('a single quote is not closed');
      word += line.slice(i, end);
      i = end + 1;
    } else if (c === '"') {
      for (let d = next(); d !== '"'; d = next()) {
        if (d === undefined) throw new Error('a double quote is not closed');
        if (d === '\\') {
          const e = next();
          if (e === undefined) throw new Error('a double quote is not closed');
          if (e !== '\n') word += '$`"\\'.includes(e) ? e : `\\${e}`;
        } else word += d;
      }
    } else if (c === '\\') {
      const e = next();
      if (e === undefined) throw new Error('the line ends with a backslash');
      if (e !== '\n') word += e;
    } else {
      if (shellSyntax === null && SHELL_SYNTAX.test(c)) shellSyntax = c;
      word += c;
    }
  }
  if (word !== null) words.push(word);
  return { words, shellSyntax };
}
