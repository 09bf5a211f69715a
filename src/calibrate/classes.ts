/*
 * The operation classes calibrate times and predict counts: one table, read by the workloads
 * (native/calib.c runs `sandbox-perf-calib <name> N`), the fit, the profile and the attribution.
 */

export const CLASS_NAMES = [
  'cpu',
  'syscall',
  'thread',
  'clock',
  'stat',
  'open',
  'create',
  'read',
  'write',
  'spawn',
  'fault',
  'map',
  'protect',
] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export interface OperationClass {
  readonly name: ClassName;
  /** What the attribution calls the class's share ("file opens"). */
  readonly label: string;
  /** One operation of the calibration workload, as the tables print its cost ("per open+close"). */
  readonly unit: string;
  /**
   * The two sizes (operations per run) calibrate times. Sized so that on this 2-core machine the
   * larger one takes 20-60 ms on `none` and at most a second or two on gVisor's ptrace platform,
   * whose system calls and page faults cost 10-40x the host's: calibrate's whole run must stay
   * under 5 minutes on all backends.
   */
  readonly sizes: readonly [number, number];
  /**
   * The system calls (strace's names) a profile counts in this class; the class `syscall` gets
   * every call no other class names. Absent: the class is counted from the wrapper's figures.
   */
  readonly syscalls?: readonly string[];
  /** Calls that are part of this class's operation but not counted as operations (an open's close): in no class. */
  readonly absorbs?: readonly string[];
  /**
   * Functions of the C library a profile counts in this class, by a uprobe at their entry
   * (libcProbe.ts): what the host answers without a system call, through its vDSO.
   */
  readonly libcCalls?: readonly string[];
  /** Its phases run first in a calibration run, before the others: its cost is the start's (`clock`). */
  readonly atStart?: boolean;
  /**
   * Of `syscalls`, those counted in this class only when they succeed (the tracepoint counter
   * also counts their exits with `ret == 0`, tracepoints.ts; strace gives their errors): a failed
   * exec of a PATH search starts no program, a failed `mkdir` of a directory that exists makes
   * none (npm ci: 1 837 of its 1 900 fail with EEXIST).
   */
  readonly succeededOnly?: readonly string[];
  /** Where the failed calls of `succeededOnly` are counted (a failed `mkdir` looked a path up: `stat`); absent, nowhere. */
  readonly failedAs?: ClassName;
}

/**
 * How long, from a command's start, gVisor's Sentry answers every clock_gettime itself: its vDSO's
 * clock parameters are published at the Sentry timekeeper's first update, about a second after the
 * sandbox boots; until then each read falls back to a system call. runsc 20221219 here: reads
 * turned cheap 945-983 ms after the command's start (4 runs at load 6, docs/calibration.md). A
 * property of gVisor's design, not of this machine: other backends' reads cost the host's either way.
 */
export const CLOCK_WINDOW_MS = 950;

export const CLASSES: readonly OperationClass[] = [
  /*
   * Counted as the command's user CPU time, in none's milliseconds per million steps (attribution.ts).
   * A batch phase reports N times its fastest 10⁶-step chunk (native/calib.c, cpu_phase): enough
   * chunks that one runs without waiting for a core at load 8 (16 chunks of ~1 ms at least).
   */
  { name: 'cpu', label: 'CPU', unit: 'per 10⁶ steps', sizes: [16, 64] },
  { name: 'syscall', label: 'other system calls', unit: 'per getppid()', sizes: [5_000, 20_000] },
  /*
   * The same calls made by 4 threads at once (N/4 each), as libuv's thread pool makes node's and
   * npm's file system calls beside the main thread. gVisor's Sentry serves several threads' calls
   * at once, so a call on another thread costs less wall time than one the main thread waits for:
   * npm ci made 31 400 of its 63 800 calls on its pool threads and was predicted 30-35 % high
   * when each was priced at one thread's getppid (docs/calibration.md). Counted: the calls of the
   * command's own process made on its threads other than the first (the tracepoint counter's
   * `-t`); attribution.ts prices them at their classes' costs times this class's cost over
   * `syscall`'s, a negative share, and takes the rest back as far as the machine serves it beside
   * the main thread's own run (they run beside it). Calls on the threads of the processes it starts are not told
   * apart, nor anything under strace: they are priced as one thread's. Sizes larger than
   * `syscall`'s: four threads on two cores make a noisier line (±44 % against ±23 % at load 4).
   */
  { name: 'thread', label: 'overlap on other threads', unit: 'per getppid() on 4 threads', sizes: [8_000, 32_000] },
  /*
   * clock_gettime through the C library, timed at the start of a run: gVisor answers each in its
   * Sentry (60-200 µs) for the first CLOCK_WINDOW_MS of a sandbox, as a system call; the host's and
   * the other backends' vDSO in 25 ns. node's tsc reads the clock 47 000 times, 8 750 of them in
   * gVisor's first second (attribution.ts prices the reads that fall in the window).
   * Sizes: a sandbox's first ~1 000 reads (its first ~50 ms) cost gVisor less than the later ones
   * a program spreads over its window: `calib clock N` in gVisor, 8 paired rounds, load 1.0, the
   * in-command cost's increments per read: 45 µs for reads 0-1 000, 60 µs for 1 000-2 000, 67 µs
   * for 2 000-4 000 and 4 000-8 000 (docs/calibration.md). 200 and 800 timed only the cheap start
   * (45-52 µs in 12 of 16 calibrations, ±40-100 %). The batch now reads the clock 1 000 times
   * untimed first (native/calib.c CLOCK_WARMUP), then times 1 000 and 3 000 reads: the part a
   * program's reads fall in, with a 3.3 times longer lever. 5 000 reads at 150 µs (load 8) still
   * end inside the window.
   */
  { name: 'clock', label: 'clock reads', unit: 'per clock_gettime()', sizes: [1_000, 3_000], libcCalls: ['clock_gettime'], atStart: true },
  {
    name: 'stat',
    label: 'stats',
    unit: 'per stat()',
    sizes: [1_000, 4_000],
    syscalls: ['stat', 'lstat', 'newfstatat', 'fstatat64', 'statx', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat'],
  },
  {
    name: 'open',
    label: 'file opens',
    unit: 'per open()+close()',
    sizes: [1_000, 4_000],
    syscalls: ['open', 'openat', 'openat2', 'creat'],
    // The workload's operation is open + close: a close is paid for in its open's cost.
    absorbs: ['close'],
  },
  {
    name: 'create',
    label: 'file creations and removals',
    unit: 'per create + unlink',
    sizes: [50, 200],
    syscalls: [
      'unlink',
      'unlinkat',
      'rmdir',
      'mkdir',
      'mkdirat',
      'rename',
      'renameat',
      'renameat2',
      'link',
      'linkat',
      'symlink',
      'symlinkat',
    ],
    succeededOnly: ['mkdir', 'mkdirat'],
    failedAs: 'stat',
  },
  { name: 'read', label: 'MiB read', unit: 'per MiB read', sizes: [50, 200] },
  { name: 'write', label: 'MiB written', unit: 'per MiB written', sizes: [20, 80] },
  {
    name: 'spawn',
    label: 'process starts',
    unit: 'per fork+exec+wait',
    sizes: [10, 40],
    syscalls: ['execve', 'execveat'],
    succeededOnly: ['execve', 'execveat'],
  },
  { name: 'fault', label: 'page faults', unit: 'per page fault', sizes: [2_000, 8_000] },
  /*
   * A fresh mapping, read once: what a dynamically linked program's start does per mmap (its
   * libraries mapped) and malloc per arena. gVisor's Sentry handles the first touch of each new
   * mapping (110-200 µs under ptrace at load 2-4, more under load), which `fault`'s in-order
   * touches of one large mapping (2-6 µs) do not show: the C build's 55 compiler starts do 1 900
   * mmaps, and cc1 cost gVisor ~10 ms a start more than its counted calls and faults predicted.
   */
  { name: 'map', label: 'memory mappings', unit: 'per mmap + first touch', sizes: [300, 1_200], syscalls: ['mmap', 'mmap2'] },
  /*
   * Reserved memory made writable a chunk at a time and written, as V8 grows its heap (256 KiB and
   * 32 KiB chunks): gVisor's Sentry changes the mapping and then handles the chunk's first touch,
   * like a fresh mmap's. tsc's 816 mprotects were priced as getppid()s (63 µs) where the pattern
   * costs gVisor 2.5-8 times that; runsc --strace: 874 mprotects and ~875 more faults the Sentry
   * handled (SIGSEGVs to its stubs) than `node -e 0`.
   */
  { name: 'protect', label: 'memory made writable', unit: 'per mprotect + first touch', sizes: [300, 1_200], syscalls: ['mprotect'] },
];

export function classOf(name: ClassName): OperationClass {
  return CLASSES.find((c) => c.name === name) as OperationClass;
}
