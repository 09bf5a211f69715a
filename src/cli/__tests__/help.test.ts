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

  test('names the history the one way every command does', () => {
    if (command.usage.includes('--db')) expect(command.usage).toContain(DB_HELP);
  });
});
