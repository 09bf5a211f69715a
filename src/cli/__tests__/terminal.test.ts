import { Writable } from 'node:stream';
import { formatEta, progressBar } from '../terminal';

function tty(): Writable & { isTTY: boolean; text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; text: string };
  stream.isTTY = true;
  stream.text = '';
  return stream;
}

test('the progress bar shows an ETA from the mean time per tick, and a status note', async () => {
  const stderr = tty();
  const bar = progressBar({ stdout: tty(), stderr, env: {}, cwd: '/' }, 4);
  await new Promise((resolve) => setTimeout(resolve, 30));
  bar.tick('none', 'round 1');
  expect(stderr.text).toMatch(/\[#+ +\] 1\/4 ETA \d+ s none +round 1/);
  bar.tick('unshare');
  bar.tick('none');
  bar.tick('unshare');
  expect(stderr.text).toMatch(/4\/4 unshare/);
  expect(stderr.text).not.toMatch(/4\/4 ETA/);
  expect(formatEta(42_400)).toBe('42 s');
  expect(formatEta(185_000)).toBe('3 min 05 s');
});
