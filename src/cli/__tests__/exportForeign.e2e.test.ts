import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { tempDir } from '../../../test/support/tempDir';
import { cli, describeBuilt } from './support/cli';

/*
 * Hostile trial (s37), findings 2-4: an export overwrote any file that was not SQLite (a copy of
 * /etc/passwd, a loop device written raw), hung for ever on a FIFO without a reader, and two
 * exports naming one file overwrote each other. A file that is not ours is never touched: only a
 * new file, an empty one or an earlier export of the same format is replaced (through a temporary
 * file renamed over it); the rest is refused, exit 2, before any run when it is there at the start.
 */
jest.setTimeout(60_000);

let dir: string;
let marker: string;
beforeEach(() => {
  dir = tempDir('export-foreign');
  marker = path.join(dir, 'ran');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function compare(exports: string[], command: string[] = ['touch', marker]): ReturnType<typeof cli> {
  const db = path.join(dir, 'h.db');
  return cli(['compare', '--sandbox', 'none', '-r', '2', '-w', '0', '--db', db, ...exports, '--', ...command], dir, { timeoutMs: 30_000 });
}

const NOT_OURS = (flag: string, format: string): RegExp =>
  new RegExp(
    `^Error: Expected \`${flag}\` to be a new file, an empty file or an earlier ${format} export \\(sandbox-perf's or hyperfine's\\), got \`".+"\` \\(`,
  );

/** Nothing but what the test made: no temporary file of the write left behind. */
function leftovers(): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith('.sandbox-perf-'));
}

describeBuilt('exports never touch a file that is not ours', () => {
  test.each([
    ['--export-json', 'JSON'],
    ['--export-csv', 'CSV'],
    ['--export-markdown', 'Markdown'],
    ['--export-hyperfine', 'JSON'],
  ])('exports overwrite any file: %s onto a copy of /etc/passwd is refused, exit 2, nothing run', async (flag, format) => {
    const passwd = path.join(dir, 'passwd');
    fs.copyFileSync('/etc/passwd', passwd);
    const r = await compare([flag, passwd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(NOT_OURS(flag, format));
    expect(r.stderr).toMatch(/\(a file of other content: .+\); it was left untouched and nothing was run\n$/);
    expect(fs.readFileSync(passwd).equals(fs.readFileSync('/etc/passwd'))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('exports overwrite any file: an export of another format is refused (a CSV export is not JSON)', async () => {
    const csv = path.join(dir, 'results.csv');
    expect((await compare(['--export-csv', csv], ['true'])).code).toBe(0);
    const before = fs.readFileSync(csv, 'utf8');
    const r = await compare(['--export-json', csv]);
    expect([r.code, fs.readFileSync(csv, 'utf8'), fs.existsSync(marker)]).toEqual([2, before, false]);
    expect(r.stderr).toMatch(NOT_OURS('--export-json', 'JSON'));
  });

  test('exports on a FIFO hang: a FIFO without a reader at the start is refused, exit 2, and nothing is run', async () => {
    const fifo = path.join(dir, 'results.csv');
    execFileSync('mkfifo', [fifo]);
    const r = await compare(['--export-csv', fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(a FIFO \(named pipe\)\); it was left untouched and nothing was run\n$/);
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('exports on a FIFO hang: a run that leaves a FIFO at the export path gets it refused, not opened', async () => {
    const r = await compare(['--export-json', 'late.json'], ['sh', '-c', 'rm -f late.json; mkfifo late.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(NOT_OURS('--export-json', 'JSON'));
    expect(r.stderr).toMatch(/\(a FIFO \(named pipe\)\); it was left untouched \(the path changed during the runs\)\n$/);
    expect(fs.lstatSync(path.join(dir, 'late.json')).isFIFO()).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  test.each([
    ['the same name', 'same.out', 'same.out'],
    ['two spellings', 'same.out', './sub/../same.out'],
  ])('exports naming one file: --export-json and --export-csv with %s is a usage error, nothing run', async (_, a, b) => {
    const r = await compare(['--export-json', a, '--export-csv', b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^Error: Expected `--export-csv` to be a file no other export names, got `".+same\.out"` \(--export-json names it too: one would overwrite the other\); nothing was run\n$/,
    );
    expect([fs.existsSync(path.join(dir, 'same.out')), fs.existsSync(marker)]).toEqual([false, false]);
  });

  test('exports naming one file: a hard link to another export is the same file, refused', async () => {
    const md = path.join(dir, 'a.md');
    fs.writeFileSync(md, '');
    fs.linkSync(md, path.join(dir, 'b.md'));
    const r = await compare(['--export-markdown', 'a.md', '--export-hyperfine', 'b.md']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^Error: Expected `--export-markdown` to be a file no other export names, got `".+a\.md"` \(--export-hyperfine names it too/,
    );
  });

  test('an empty file and an earlier export are replaced by a new file (renamed over them): another link to the old one keeps its text', async () => {
    const empty = path.join(dir, 'empty.md');
    fs.writeFileSync(empty, '');
    const json = path.join(dir, 'results.json');
    expect((await compare(['--export-json', json], ['true'])).code).toBe(0);
    fs.linkSync(json, path.join(dir, 'kept.json'));
    const before = fs.readFileSync(json, 'utf8');
    const r = await compare(['--export-json', json, '--export-markdown', empty]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(empty, 'utf8')).toMatch(/^\| Command \| Mean/m);
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toMatchObject({ command: ['touch', marker] });
    expect(fs.readFileSync(path.join(dir, 'kept.json'), 'utf8')).toBe(before);
    expect(leftovers()).toEqual([]);
  });
});

describeWhen('exports onto a block device', toolMissing('losetup'), 'apt-get install mount (losetup)', () => {
  test('exports overwrite any file: a loop device is refused, exit 2, and its backing file is not written', async () => {
    const image = path.join(dir, 'disk.img');
    fs.writeFileSync(image, Buffer.alloc(1024 * 1024));
    const device = execFileSync('losetup', ['--find', '--show', image]).toString().trim();
    try {
      const r = await compare(['--export-csv', device]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\(a block device\); it was left untouched and nothing was run\n$/);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      execFileSync('losetup', ['--detach', device]);
    }
    expect(fs.readFileSync(image).equals(Buffer.alloc(1024 * 1024))).toBe(true);
  });
});
