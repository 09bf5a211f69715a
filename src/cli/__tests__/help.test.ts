import { PassThrough } from 'node:stream';
import { COMMANDS } from '../main';
import { DB_HELP } from '../database';
import type { CommandIo } from '../command';

/* --help is answered once for every command (defineCommand), before the command checks anything. */
function io(): CommandIo & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { stdout, stderr: new PassThrough(), env: {}, cwd: '/nonexistent-sandbox-perf-help', out: () => out };
}

describe.each(COMMANDS.map((c) => [c.name, c] as const))('%s', (name, command) => {
  test.each([[['--help']], [['-h']], [['--no-such-flag', 'x', '--help']], [['--db', '', '--help']]])(
    '%j prints its usage, exit 0, nothing else checked',
    async (argv) => {
      const stream = io();
      await expect(command.run(argv, stream)).resolves.toBe(0);
      expect(stream.out()).toBe(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      expect(stream.out()).toMatch(new RegExp(`^Usage: sandbox-perf ${name}`));
    },
  );

  test('--help after -- belongs to the sandboxed command', async () => {
    const stream = io();
    await expect(command.run(['--no-such-flag', '--', 'node', '--help'], stream)).rejects.toThrow(/unknown option '--no-such-flag'/);
  });

  test('every option is apart from its description (serve read "--workdir MODEhow the run sees")', () => {
    // Up to its first gap of two spaces, an option's line holds the option and its placeholder only.
    const heads = command.usage
      .split('\n')
      .filter((line) => /^ {2}(?:-\w, )?--\w/.test(line))
      .map((line) => line.trim().split(/ {2,}/)[0] ?? '');
    // Each word there is an option (-r, --runs, --flag[=X]) or a placeholder (N, MB, N|auto, host|image), not prose.
    const prose = heads.flatMap((head) =>
      head
        .split(' ')
        .filter((word) => !/^-|^[^a-z]+,?$|\|/.test(word))
        .map((word) => `${head}: ${word}`),
    );
    expect(prose).toEqual([]);
  });

  test('names the history the one way every command does', () => {
    if (command.usage.includes('--db')) expect(command.usage).toContain(DB_HELP);
  });
});
