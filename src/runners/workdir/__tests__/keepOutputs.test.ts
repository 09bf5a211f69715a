import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keepOutputs } from '../keepOutputs';
import { resolveKeep } from '../workdirOptions';

const SHAPE = /^Expected `keep(\[\d+\])?` to be .+, got `.*` \([a-z]+\)$/;
const isRoot = process.getuid?.() === 0;

let base: string;
let layer: string;
let cwd: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'keep-test-'));
  layer = path.join(base, 'layer');
  cwd = path.join(base, 'cwd');
  fs.mkdirSync(layer);
  fs.mkdirSync(cwd);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

function write(file: string, body: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
}

const keep = (...paths: string[]) => keepOutputs(layer, cwd, resolveKeep(paths, 'overlay'));

describe('keep paths are checked before any run', () => {
  test.each([
    ['a parent escape', '../x'],
    ['an escape in the middle', 'dist/../../x'],
    ['an absolute path', '/etc'],
    ['an empty path', ''],
    ['a NUL byte', 'a\0b'],
    ['a number', 7],
  ])('%s is refused with the message shape', (_what, value) => {
    expect(() => resolveKeep([value], 'overlay')).toThrow(SHAPE);
  });

  test('keep without the overlay mode is refused', () => {
    expect(() => resolveKeep(['dist'], 'rw')).toThrow(/`keep` to be empty unless `workdir` is 'overlay'/);
    expect(() => resolveKeep(['dist'], 'ro')).toThrow(SHAPE);
    expect(resolveKeep([], 'rw')).toEqual([]);
  });

  test('paths are normalised: ./dist/ is dist, . the whole directory', () => {
    expect(resolveKeep(['./dist/', '.', 'out//a'], 'overlay').map((k) => k.path)).toEqual(['dist', '.', 'out/a']);
  });
});

describe('keepOutputs copies what the run wrote under the kept paths, nothing else', () => {
  test('files and directories under a kept path are copied; other paths are not', () => {
    write(path.join(layer, 'dist/a.js'), 'a');
    write(path.join(layer, 'dist/sub/b.js'), 'bb');
    write(path.join(layer, 'node_modules/x/main.js'), 'pwned');
    const report = keep('dist');
    expect(report).toEqual({ files: 2, bytes: 3, skipped: [] });
    expect(fs.readFileSync(path.join(cwd, 'dist/sub/b.js'), 'utf8')).toBe('bb');
    expect(fs.existsSync(path.join(cwd, 'node_modules'))).toBe(false);
  });

  test('a kept file replaces the host file; a kept path the run did not write copies nothing', () => {
    write(path.join(cwd, 'out/report.json'), 'old');
    write(path.join(layer, 'out/report.json'), 'new');
    expect(keep('out/report.json', 'missing/path').files).toBe(1);
    expect(fs.readFileSync(path.join(cwd, 'out/report.json'), 'utf8')).toBe('new');
    expect(fs.existsSync(path.join(cwd, 'missing'))).toBe(false);
  });

  test('a symbolic link the run planted at the kept path is neither followed nor copied', () => {
    fs.symlinkSync('/etc', path.join(layer, 'dist'));
    const report = keep('dist');
    expect(report.files).toBe(0);
    expect(report.skipped).toEqual([{ path: 'dist', reason: expect.stringMatching(/symbolic link/) as string }]);
    expect(fs.existsSync(path.join(cwd, 'dist'))).toBe(false);
  });

  test('a symbolic link inside a kept directory, or on the way to a kept path, is not followed', () => {
    const secret = path.join(base, 'secret');
    write(secret, 'host secret');
    fs.mkdirSync(path.join(layer, 'dist'));
    fs.symlinkSync(secret, path.join(layer, 'dist/leak.txt'));
    fs.symlinkSync(base, path.join(layer, 'via'));
    const report = keep('dist', 'via/secret');
    expect(report.files).toBe(0);
    expect(report.skipped.map((s) => s.path).sort()).toEqual(['dist/leak.txt', 'via']);
    expect(fs.existsSync(path.join(cwd, 'dist/leak.txt'))).toBe(false);
    expect(fs.existsSync(path.join(cwd, 'via'))).toBe(false);
  });

  test('a symbolic link on the host is never written through: a directory link is refused, a file link replaced', () => {
    const outside = path.join(base, 'outside');
    fs.mkdirSync(outside);
    write(path.join(outside, 'target.txt'), 'outside');
    fs.symlinkSync(outside, path.join(cwd, 'dist'));
    fs.symlinkSync(path.join(outside, 'target.txt'), path.join(cwd, 'file.txt'));
    write(path.join(layer, 'dist/a.js'), 'a');
    write(path.join(layer, 'file.txt'), 'from the run');
    const report = keep('dist', 'file.txt');
    expect(report.skipped).toEqual([{ path: 'dist', reason: expect.stringMatching(/symbolic link on the host/) as string }]);
    expect(fs.readdirSync(outside)).toEqual(['target.txt']);
    expect(fs.readFileSync(path.join(outside, 'target.txt'), 'utf8')).toBe('outside');
    expect(fs.lstatSync(path.join(cwd, 'file.txt')).isFile()).toBe(true);
  });

  test('FIFOs are skipped, and so are removals (overlayfs whiteouts)', () => {
    fs.mkdirSync(path.join(layer, 'dist'));
    execFileSync('mkfifo', [path.join(layer, 'dist/pipe')]);
    if (isRoot) execFileSync('mknod', [path.join(layer, 'dist/gone.js'), 'c', '0', '0']);
    const reasons = keep('dist').skipped.map((s) => `${s.path}: ${s.reason}`);
    expect(reasons).toContain('dist/pipe: a FIFO');
    if (isRoot) expect(reasons).toContain('dist/gone.js: removed by the run (removals are not copied back)');
  });

  test("the run's owner and permission bits are kept, setuid and setgid bits are not", () => {
    write(path.join(layer, 'bin/tool'), '#!/bin/sh\n');
    fs.chmodSync(path.join(layer, 'bin/tool'), 0o6755);
    if (isRoot) fs.chownSync(path.join(layer, 'bin/tool'), 65534, 65534);
    keep('bin');
    const copied = fs.statSync(path.join(cwd, 'bin/tool'));
    expect(copied.mode & 0o7777).toBe(0o755);
    if (isRoot) expect([copied.uid, copied.gid]).toEqual([65534, 65534]);
  });

  test('keep . copies everything the run wrote, and nothing is left half-written beside the targets', () => {
    write(path.join(layer, 'a.txt'), 'a');
    write(path.join(layer, 'd/b.txt'), 'b');
    expect(keep('.').files).toBe(2);
    expect(fs.readdirSync(cwd).sort()).toEqual(['a.txt', 'd']);
    expect(fs.readdirSync(path.join(cwd, 'd'))).toEqual(['b.txt']);
  });
});

// Hostile trial 2026-12-07: `truncate -s 2G out/sparse` in the run took no space in its layer and
// 2 GiB of the host's disk once kept; `-s 1P` would fill it.
describe('sparse files', () => {
  test('mostly holes: not copied, reported; small holes stay holes and the bytes stay the same', () => {
    fs.mkdirSync(path.join(layer, 'out'));
    execFileSync('truncate', ['-s', '2G', path.join(layer, 'out', 'huge')]);
    const small = path.join(layer, 'out', 'small');
    const fd = fs.openSync(small, 'w');
    fs.writeSync(fd, 'head', 0);
    fs.writeSync(fd, 'tail', 8 * 1024 * 1024);
    fs.closeSync(fd);
    const report = keep('out');
    expect(report.skipped).toEqual([
      { path: 'out/huge', reason: 'a sparse file (2147483648 bytes, 0 of them stored): its holes would be written out on the host' },
    ]);
    expect(fs.existsSync(path.join(cwd, 'out', 'huge'))).toBe(false);
    const kept = path.join(cwd, 'out', 'small');
    expect(fs.readFileSync(kept).equals(fs.readFileSync(small))).toBe(true);
    // 8 MiB of zeros between the two words: the copy stores about what the source does, not 8 MiB.
    expect(fs.statSync(kept).blocks * 512).toBeLessThan(2 * 1024 * 1024);
  });
});
