import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
