import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { CALIB_FILE } from '../calibWorkdir';
import { functionOffset, libcPoints, mappedLibc } from '../libcProbe';

describe("the C library's clock_gettime, for the counter's uprobe", () => {
  const libc = mappedLibc();

  test("node's own C library is found in its memory map", () => {
    expect(libc).toMatch(/\/libc(\.so\.\d+|-[\d.]+\.so)$/);
    const maps = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-maps-')), 'maps');
    fs.writeFileSync(maps, '7f00-7f10 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n');
    expect(mappedLibc(maps)).toBeNull();
    fs.rmSync(path.dirname(maps), { recursive: true });
  });

  test('the offset is where the dynamic symbol table puts it (as nm -D and readelf -l say)', () => {
    const file = libc as string;
    const offset = functionOffset(file, 'clock_gettime');
    expect(offset).not.toBeNull();
    // Checked against binutils' own reading where they are installed.
    let nm: string | null = null;
    try {
      nm = execFileSync('nm', ['-D', file], { encoding: 'utf8' });
    } catch {
      nm = null;
    }
    if (nm !== null) {
      const address = /^([0-9a-f]+) T clock_gettime@/m.exec(nm)?.[1];
      const segments = execFileSync('readelf', ['-lW', file], { encoding: 'utf8' });
      const load = [...segments.matchAll(/LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+)/g)]
        .map((m) => ({ offset: parseInt(m[1] as string, 16), vaddr: parseInt(m[2] as string, 16), size: parseInt(m[3] as string, 16) }))
        .find((l) => l.vaddr <= parseInt(address as string, 16) && parseInt(address as string, 16) < l.vaddr + l.size);
      expect(offset).toBe(parseInt(address as string, 16) - (load?.vaddr ?? 0) + (load?.offset ?? 0));
    }
    expect(functionOffset(file, 'sandbox_perf_no_such_function')).toBeNull();
    // Not an ELF file: no offset.
    expect(functionOffset(__filename, 'clock_gettime')).toBeNull();
  });

  test('one counter argument per function, none where the library has it not or there is no library', () => {
    const file = libc as string;
    const [point] = libcPoints(['clock_gettime'], file);
    expect(point?.name).toBe('libc clock_gettime');
    expect(point?.spec).toMatch(new RegExp(`^uprobe:0x[0-9a-f]+:${file.replace(/[.]/g, '\\.')}$`));
    expect(libcPoints(['sandbox_perf_no_such_function'], file)).toEqual([]);
    expect(libcPoints(['clock_gettime'], null)).toEqual([]);
  });
});

const UPROBE_EVENTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']
  .map((root) => path.join(root, 'uprobe_events'))
  .find((file) => {
    try {
      fs.accessSync(file, fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  });

describeWhen(
  "the counter's uprobes do not outlive it",
  (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`) ||
    (UPROBE_EVENTS === undefined && 'no writable uprobe_events (tracefs, as root)'),
  'node native/build.js; run as root with tracefs mounted (mount -t tracefs nodev /sys/kernel/tracing)',
  () => {
    const events = UPROBE_EVENTS as string;
    const ours = () =>
      fs
        .readFileSync(events, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('p:sandbox_perf_'));

    test("a dead counter's probe is removed by the next counter, which removes its own", () => {
      const [point] = libcPoints(['clock_gettime']);
      if (point === undefined) throw new Error('no clock_gettime in the C library');
      const [, offset, file] = /^uprobe:(0x[0-9a-f]+):(.+)$/.exec(point.spec) as RegExpExecArray;
      // A counter killed before its clean-up leaves its group behind: one of a process that has exited.
      const dead = spawnSync('true').pid;
      fs.appendFileSync(events, `p:sandbox_perf_${dead}/u0 ${file as string}:${offset as string}\n`);
      expect(ours().some((l) => l.startsWith(`p:sandbox_perf_${dead}/`))).toBe(true);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-uprobe-'));
      try {
        const r = spawnSync(
          CALIB_FILE,
          ['count', path.join(dir, 'counts'), '-e', point.spec, 'node', '-e', 'Date.now(); performance.now()'],
          {
            encoding: 'utf8',
          },
        );
        expect(r.status).toBe(0);
        const [, clockReads] = fs.readFileSync(path.join(dir, 'counts'), 'utf8').split('\n');
        expect(Number(clockReads)).toBeGreaterThan(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      expect(ours().filter((l) => l.startsWith(`p:sandbox_perf_${dead}/`))).toEqual([]);
      // Its own (named after its pid, which has exited too) is gone as well.
      expect(
        ours().filter((l) => !/^p:sandbox_perf_(\d+)\//.test(l) || !processAlive(Number(/^p:sandbox_perf_(\d+)\//.exec(l)?.[1]))),
      ).toEqual([]);
    });
  },
);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
