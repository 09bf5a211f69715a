import { parseArgs } from '../args';
import { SANDBOX_FLAGS, sandboxOptionsFrom } from '../sandboxFlags';
import { parseBackends } from '../backendsFlag';

describe('--pids-limit and --tmp-size (issue 23, finding 4)', () => {
  const parse = (argv: string[]) => parseArgs([...argv, '--', 'true'], SANDBOX_FLAGS, 'run');

  test('reach the sandbox options: a task count, and MB as bytes', () => {
    expect(sandboxOptionsFrom(parse(['--pids-limit', '64', '--tmp-size', '4']).flags, '/w')).toMatchObject({
      cwd: '/w',
      pidsLimit: 64,
      tmpSizeBytes: 4 * 1024 * 1024,
    });
    expect(sandboxOptionsFrom(parse([]).flags, '/w')).not.toHaveProperty('pidsLimit');
  });

  test.each([
    [['--pids-limit', '0'], /^Expected `--pids-limit` to be a decimal integer from 1 to 4194000, got `"0"`/],
    [['--pids-limit', '1.5'], /^Expected `--pids-limit` to be a decimal integer/],
    [['--tmp-size', 'big'], /^Expected `--tmp-size` to be a decimal number >= 1, got `"big"`/],
  ])('%j is a usage error naming the flag', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('--gvisor-root (issue 25.4: gvisor from the image, as gvisor-pool)', () => {
  const parse = (argv: string[]) => parseArgs([...argv, '--', 'true'], SANDBOX_FLAGS, 'compare');

  test('reaches the sandbox options; absent, the option is left to its default', () => {
    expect(sandboxOptionsFrom(parse(['--gvisor-root', 'image']).flags, '/w')).toMatchObject({ gvisorRoot: 'image' });
    expect(sandboxOptionsFrom(parse([]).flags, '/w')).not.toHaveProperty('gvisorRoot');
  });

  test('another value is a usage error naming the flag and both roots', () => {
    expect(() => sandboxOptionsFrom(parse(['--gvisor-root', 'docker']).flags, '/w')).toThrow(
      /^Expected `--gvisor-root` to be host or image, got `"docker"`/,
    );
  });
});

test('an unknown backend is quoted cut short: a 100 000-character one was repeated in full (hostile trial 2026-12-07)', () => {
  const long = 'a'.repeat(100_000);
  expect(() => parseBackends(long)).toThrow(/^Expected `--sandbox` to be backends among none, .*, got `"a{60}…"`$/);
});
