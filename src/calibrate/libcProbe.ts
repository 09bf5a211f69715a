/*
 * Where the C library's clock_gettime starts, for the counter's uprobe (native/calib.c `count -e
 * uprobe:OFFSET:PATH`). On the host the vDSO answers clock_gettime without a system call, so no
 * syscall tracepoint and no strace sees it; gVisor's Sentry answers every one (50-110 µs a call
 * under ptrace here): node's tsc reads the clock 8 700 times (docs/calibration.md). A uprobe at
 * the function's entry counts every call through the C library, in any process that maps it.
 */
import fs from 'node:fs';

/**
 * The C library this process maps (node is linked against the host's): the one the command's
 * dynamically linked programs load too. Null when none is mapped (a static node).
 */
export function mappedLibc(maps = '/proc/self/maps'): string | null {
  for (const line of fs.readFileSync(maps, 'utf8').split('\n')) {
    const file = line.split(/\s+/)[5];
    if (file !== undefined && /\/libc(\.so\.\d+|-[\d.]+\.so)$/.test(file)) return file;
  }
  return null;
}

const ELF_MAGIC = 0x464c457f;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const STT_FUNC = 2;

/**
 * The file offset of the exported function `name` in the 64-bit little-endian ELF `file` (its
 * .dynsym value turned into an offset through the loadable segment that holds it), or null.
 */
export function functionOffset(file: string, name: string): number | null {
  const elf = fs.readFileSync(file);
  // ELFCLASS64 (2), ELFDATA2LSB (1): the only layout read here.
  if (elf.length < 64 || elf.readUInt32LE(0) !== ELF_MAGIC || elf[4] !== 2 || elf[5] !== 1) return null;
  const num = (at: number) => Number(elf.readBigUInt64LE(at));
  const phoff = num(32);
  const shoff = num(40);
  const [phentsize, phnum, shentsize, shnum] = [54, 56, 58, 60].map((at) => elf.readUInt16LE(at)) as [number, number, number, number];
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: elf.readUInt32LE(at + 4),
      offset: num(at + 24),
      size: num(at + 32),
      link: elf.readUInt32LE(at + 40),
      entsize: num(at + 56),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const sym = section(i);
    if (sym.type !== SHT_DYNSYM || sym.entsize === 0) continue;
    const strings = section(sym.link);
    for (let at = sym.offset; at + sym.entsize <= sym.offset + sym.size; at += sym.entsize) {
      const nameAt = strings.offset + elf.readUInt32LE(at);
      const end = elf.indexOf(0, nameAt);
      const info = elf[at + 4] as number;
      const value = num(at + 8);
      if ((info & 0xf) !== STT_FUNC || value === 0 || elf.toString('latin1', nameAt, end) !== name) continue;
      for (let p = 0; p < phnum; p++) {
        const ph = phoff + p * phentsize;
        const [offset, vaddr, filesz] = [num(ph + 8), num(ph + 16), num(ph + 32)];
        if (elf.readUInt32LE(ph) === PT_LOAD && vaddr <= value && value < vaddr + filesz) return value - vaddr + offset;
      }
    }
  }
  return null;
}

/** How a profile names the calls of C library function `name` (not a system call's name). */
export const libcCallName = (name: string) => `libc ${name}`;

/**
 * One uprobe per C library function a class counts (classes.ts `libcCalls`), as the counter's
 * `-e uprobe:OFFSET:PATH`; none when no C library is mapped or a function is not found in it.
 */
export function libcPoints(names: readonly string[], libc: string | null = mappedLibc()): { name: string; spec: string }[] {
  if (libc === null) return [];
  return names.flatMap((name) => {
    const offset = functionOffset(libc, name);
    return offset === null ? [] : [{ name: libcCallName(name), spec: `uprobe:0x${offset.toString(16)}:${libc}` }];
  });
}
