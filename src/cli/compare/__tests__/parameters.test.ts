import { MAX_SCAN_VALUES, parameterList, parameterScan, splitValues, substitute } from '../parameters';

// The expected lists are what hyperfine 1.15 ran for the same flags (its --export-json `parameters`).
test('-P: integer bounds step by 1, -D steps in exact decimals written as hyperfine writes them', () => {
  expect(parameterScan(['threads', '1', '4'], undefined)).toEqual({ name: 'threads', values: ['1', '2', '3', '4'] });
  expect(parameterScan(['x', '-2', '2'], '2').values).toEqual(['-2', '0', '2']);
  expect(parameterScan(['x', '0.3', '0.7'], '0.2').values).toEqual(['0.3', '0.5', '0.7']);
  expect(parameterScan(['x', '0', '1'], '0.25').values).toEqual(['0', '0.25', '0.50', '0.75', '1.00']);
  expect(parameterScan(['x', '1.50', '2'], '0.5').values).toEqual(['1.50', '2.00']);
  expect(parameterScan(['x', '0', '10'], '3').values).toEqual(['0', '3', '6', '9']);
  expect(parameterScan(['x', '7', '7'], undefined).values).toEqual(['7']);
});

test('-P and -D: bad values are refused naming the flag, the value and an example', () => {
  expect(() => parameterScan(['x', '0.1', '0.3'], undefined)).toThrow(
    /^-P \(--parameter-scan\) with decimal bounds needs a step: add -D\/--parameter-step-size, got 0\.1 … 0\.3 \(e\.g\. -P delay 0\.3 0\.7 -D 0\.2\)$/,
  );
  expect(() => parameterScan(['x', '5', '1'], undefined)).toThrow(/^Expected `--parameter-scan`'s MIN to be <= MAX, got 5 > 1/);
  expect(() => parameterScan(['x', 'a', '1'], undefined)).toThrow(/^Expected `--parameter-scan`'s MIN to be a decimal number, got `"a"`/);
  expect(() => parameterScan(['x', '1', '1e3'], undefined)).toThrow(/MAX to be a decimal number, got `"1e3"`/);
  expect(() => parameterScan(['', '1', '2'], undefined)).toThrow(
    /^Expected `--parameter-scan` to be a parameter name first \(VAR\), got `""`/,
  );
  expect(() => parameterScan(['x', '1', '2'], '0')).toThrow(/^Expected `--parameter-step-size` to be a decimal number > 0, got `"0"`/);
  expect(() => parameterScan(['x', '1', '2'], '-1')).toThrow(/got `"-1"`/);
  expect(() => parameterScan(['x', '1', String(MAX_SCAN_VALUES + 1)], undefined)).toThrow(
    /^Expected `--parameter-scan` to give at most 100000 values, got 100001/,
  );
});

test('-L: values split at commas, a backslash escapes a comma or itself (hyperfine tokenize)', () => {
  expect(parameterList(['compiler', 'gcc,clang'])).toEqual({ name: 'compiler', values: ['gcc', 'clang'] });
  expect(splitValues('hello\\, world!,x')).toEqual(['hello, world!', 'x']);
  expect(splitValues('a\\\\,b\\n')).toEqual(['a\\', 'b\\n']);
  expect(splitValues('')).toEqual(['']);
  expect(splitValues(',')).toEqual(['', '']);
  expect(() => parameterList(['', 'a'])).toThrow(/^Expected `--parameter-list` to be a parameter name first \(VAR\), got `""`/);
  // An empty VALUES (an unset shell variable) is refused; one empty value among others stays.
  expect(() => parameterList(['x', ''])).toThrow(
    /^Expected `--parameter-list` to be VAR and a comma-separated list of VALUES, got `""` for x/,
  );
  expect(parameterList(['x', ',-O2'])).toEqual({ name: 'x', values: ['', '-O2'] });
  // The same trial: a VAR with a comma shifted every CSV column; a value with a newline split the Markdown row.
  expect(() => parameterList(['a,b', '1'])).toThrow(
    /^Expected `--parameter-list` to be a parameter name of letters, digits, _ or - \(VAR\), got `"a,b"`/,
  );
  expect(() => parameterScan(['v\nx', '1', '2'], undefined)).toThrow(/^Expected `--parameter-scan` to be a parameter name of letters/);
  expect(() => parameterList(['v', 'a,b\u001b]0;T\u0007'])).toThrow(
    /^Expected `--parameter-list` to be VALUES without control characters for v, got `"b\\u001b\]0;T\\u0007"`$/,
  );
});

test('substitution: every {VAR}, left to right, a substituted value never read again', () => {
  expect(substitute('make -j {n} && echo {n}', [['n', '4']])).toBe('make -j 4 && echo 4');
  expect(
    substitute('echo {foo} {bar}', [
      ['foo', '{bar} baz'],
      ['bar', 'quux'],
    ]),
  ).toBe('echo {bar} baz quux');
  expect(substitute('{unknown} {n', [['n', '1']])).toBe('{unknown} {n');
});
