/*
 * sandbox-perf calibration workloads and operation counter (issue 26, points 2 and 3).
 *
 *   sandbox-perf-calib CLASS N     do N operations of one class, then exit 0
 *   sandbox-perf-calib noop        exit 0 (what `spawn` starts)
 *   sandbox-perf-calib batch CLASS N [CLASS N]...
 *                                  each in turn, timed inside this process: one line
 *                                  `CLASS N MILLISECONDS` each (CLOCK_MONOTONIC around it; for
 *                                  `cpu`, 4N times its fastest quarter step: cpu_phase())
 *   sandbox-perf-calib leave N     write N files of 2 KiB in left/ (made by the caller, emptied by it
 *                                  before and after the run) and exit, leaving them: the time
 *                                  around the command that a run's written files cost (below)
 *   sandbox-perf-calib count FILE [-n FD] [-t] [-P] [-g DIR]... [-e ID[:FILTER] | -e uprobe:OFFSET:PATH]... PROGRAM [ARGS...]
 *   sandbox-perf-calib syscalls    `NAME NUMBER` of each system call predict counts by name that
 *                                  this architecture has (the numbers its tracepoint filters use)
 *
 * Each class exercises one kind of operation a build pays for, so that the command's own time
 * against N (at two or more N) gives a per-operation cost on each backend:
 *
 *   cpu      N times 1 000 000 steps of an integer recurrence (no system call)
 *   syscall  N getppid() system calls (through syscall(): the C library cannot cache it)
 *   thread   N getppid() system calls made by 4 threads at once (N/4 each), as libuv's thread pool
 *            (node, npm) makes its calls beside the main thread: what a call costs when others run
 *   clock    N clock_gettime(CLOCK_MONOTONIC) through the C library: the vDSO answers it on the
 *            host without a system call; gVisor's Sentry answers every one (docs/calibration.md)
 *   stat     N stat() calls over files/f0 … files/f999 (made by the caller beforehand)
 *   open     N open() + close() pairs over the same files
 *   create   N files created (open O_CREAT) in scratch/, then the N removed (unlink)
 *   read     N MiB read from data.bin (1 MiB, made by the caller), one 1 MiB pread() each
 *   write    N MiB written to a new file in scratch/, one 1 MiB write() each, then removed
 *   spawn    N times fork(), exec of this program with `noop`, waitpid()
 *   fault    N pages of fresh anonymous memory touched once (one page fault each; no huge pages)
 *   protect  N chunks of 64 KiB of memory reserved PROT_NONE made writable (mprotect) and their
 *            first page written, as a JavaScript engine grows its heap
 *   map      N fresh private mappings of one page of data.bin (mmap), each read once (its first
 *            fault), as a program's start maps its libraries and malloc its arenas; left mapped as
 *            a process leaves them until it exits, and unmapped after the phase (untimed)
 *
 * `leave` is timed around the command, not in it: a Docker container's removal at its end makes
 * the engine fsync its own files, and that forces an ext4 journal commit, which in data=ordered
 * mode first writes out every file with dirty data on the file system: the files the command
 * wrote and left. The container's end grows by ~11 us per such file, not per byte nor per empty
 * file (docs/calibration.md, "Docker's fixed part and the files a run leaves").
 *
 * Paths are relative to the working directory, the one directory every backend binds into its
 * sandbox; this static program is copied there too, so the same file runs on every backend.
 *
 * `count` is the untimed profiling run's wrapper: it runs PROGRAM, waits for it with wait4, and
 * writes to FILE one line `minflt majflt utime_us stime_us rchar wchar` (page faults and CPU time
 * of PROGRAM and the descendants it waited for; bytes through read and write system calls, which
 * Linux adds to the waiting parent's /proc/self/io as each child is reaped), less the wrapper's own
 * counts before the fork. It exits the way PROGRAM did.
 *
 * Each `-e ID[:FILTER]` is a kernel tracepoint (its id from tracefs, e.g. raw_syscalls/sys_enter)
 * counted by perf_event_open over PROGRAM and every process it starts (inherited), from PROGRAM's
 * exec on, with an optional ftrace filter ("id == 257"); their counts make a second line, in order.
 * The kernel counts as the calls happen: nothing stops the process, unlike strace's ptrace, which
 * stops it twice at every system call. `-e uprobe:OFFSET:PATH` counts the calls of the function at
 * file offset OFFSET of PATH (a C library's clock_gettime, which the host's vDSO answers without a
 * system call to trace), through the kernel's uprobe PMU. When an event cannot be opened, the wrapper says why on
 * stderr and exits 125 before PROGRAM runs (the caller counts another way).
 *
 * With `-t`, each event is also counted on PROGRAM's own process in two ways, on all its threads
 * (inherited by threads only: perf's inherit_thread, Linux 5.13) and on its first thread alone;
 * the difference, the calls PROGRAM's other threads made, makes a third line, in order. Where
 * the kernel cannot count that, the wrapper says so on stderr and writes no third line.
 *
 * With `-n FD` (an inherited descriptor PROGRAM does not get), once FILE is written the wrapper
 * writes `exit CODE` or `signal NUMBER` (how PROGRAM ended) to FD and closes it: the caller need
 * not wait for the wrapper's own exit, where closing its events unregisters the tracepoints and
 * waits for the kernel's RCU grace periods (30-70 ms a tracepoint on this machine under load).
 *
 * Each `-g DIR` is a cgroup v1 directory PROGRAM's process joins (its cgroup.procs) before its
 * exec, while the wrapper opens the events on it: the kernel makes a migration wait for a grace
 * period, and a uprobe's registration another; side by side they cost one (the profiling run of
 * `true` 34 -> 25 ms, predict's containment group joined by a shell before the wrapper started).
 * When a group cannot be joined, the wrapper says why on stderr and exits 125 before PROGRAM runs.
 *
 * As root, the system calls are counted by BPF programs (syscallCounter.h: one program a call
 * instead of one perf event per counted call and scope), where every `-e` but the uprobes is one
 * it answers (`ID`, `ID:id == N`, `ID:id == N && ret == 0` on raw_syscalls); `-P` (perf events
 * only) and any other kernel or spec count by perf events. The counts are the same. With
 * SANDBOX_PERF_COUNT_VERBOSE set, the wrapper says on stderr which it used.
 * The options come in any order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "syscallCounter.h"

#define FILES 1000
#define MIB (1024 * 1024)

static void fail(const char *what) {
  fprintf(stderr, "sandbox-perf-calib: %s: %s\n", what, strerror(errno));
  exit(111);
}

/* n steps of `per_step` iterations (one step: 10^6). */
static void recurrence(long n, int per_step) {
  volatile unsigned long x = 1;
  for (long i = 0; i < n; i++) {
    unsigned long y = x;
    for (int j = 0; j < per_step; j++) y = y * 6364136223846793005UL + 1442695040888963407UL;
    x = y;
  }
}

static void cpu(long n) { recurrence(n, 1000000); }

static void sys(long n) {
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
}

/*
 * gVisor's Sentry serves the system calls of several threads at once: under ptrace at load 7,
 * 20 000 getppid() took 55-74 us a call from one thread and 18-52 us a call from four. A program
 * whose calls are spread over threads (npm: 30 700 of its 63 700 calls on libuv's 4 pool threads)
 * pays less wall time for them than one thread making them all.
 */
#define THREADS 4

static void *thread_calls(void *n) {
  sys(*(long *)n);
  return NULL;
}

static void threads(long n) {
  pthread_t t[THREADS];
  long each[THREADS];
  for (int i = 0; i < THREADS; i++) {
    each[i] = n / THREADS + (i < n % THREADS ? 1 : 0);
    errno = pthread_create(&t[i], NULL, thread_calls, &each[i]);
    if (errno != 0) fail("pthread_create");
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
}

static void clocks(long n) {
  struct timespec ts;
  for (long i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
}

static void file_name(char *out, size_t size, long i) { snprintf(out, size, "files/f%ld", i % FILES); }

static void stats(long n) {
  char name[64];
  struct stat st;
  for (long i = 0; i < n; i++) {
    file_name(name, sizeof name, i);
    if (stat(name, &st) != 0) fail(name);
  }
}

static void opens(long n) {
  char name[64];
  for (long i = 0; i < n; i++) {
    file_name(name, sizeof name, i);
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(name);
    close(fd);
  }
}

static void creates(long n) {
  char name[64];
  int pid = (int)getpid();
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof name, "scratch/c%d-%ld", pid, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail(name);
    close(fd);
  }
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof name, "scratch/c%d-%ld", pid, i);
    if (unlink(name) != 0) fail(name);
  }
}

static char *buffer(void) {
  char *buf = malloc(MIB);
  if (buf == NULL) fail("malloc");
  memset(buf, 'x', MIB);
  return buf;
}

static void reads(long n) {
  char *buf = buffer();
  int fd = open("data.bin", O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("data.bin");
  for (long i = 0; i < n; i++) {
    if (pread(fd, buf, MIB, 0) != MIB) fail("pread data.bin");
  }
  close(fd);
}

static void writes(long n) {
  char *buf = buffer();
  char name[64];
  snprintf(name, sizeof name, "scratch/w%d", (int)getpid());
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(name);
  for (long i = 0; i < n; i++) {
    if (write(fd, buf, MIB) != MIB) fail("write");
  }
  close(fd);
  unlink(name);
}

static void spawns(long n, const char *self) {
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
      execl(self, self, "noop", (char *)NULL);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      errno = ECHILD;
      fail("spawned noop");
    }
  }
}

static void faults(long n) {
  long page = sysconf(_SC_PAGESIZE);
  size_t size = (size_t)n * (size_t)page;
  char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) fail("mmap");
  // Transparent huge pages would turn 512 faults into one.
  madvise(mem, size, MADV_NOHUGEPAGE);
  for (long i = 0; i < n; i++) mem[i * page] = 1;
  munmap(mem, size);
}

/*
 * A fresh mapping is what gVisor pays for beyond its system call: its Sentry handles the first
 * touch of each new mapping (110-200 us a fault under ptrace at load 2-4), where the `fault`
 * workload's in-order touches of one large mapping are mapped ahead and cost it 2-6 us. A copy
 * on write costs it as much again (150-160 us), but a program writes few of the pages it maps:
 * a read and a write per mmap made the C build's prediction 35 points higher than measured.
 * The mappings stay until release_maps(), outside the phase's timing.
 */
#define MAX_MAPS 100000
static char *maps_kept[MAX_MAPS];
static long maps_count;

static void maps(long n) {
  long page = sysconf(_SC_PAGESIZE);
  int fd = open("data.bin", O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("data.bin");
  // Every other page of the 1 MiB file: neighbouring mappings never continue each other's file
  // offsets, so no two merge into one.
  long slots = MIB / (2 * page);
  for (long i = 0; i < n; i++) {
    if (maps_count == MAX_MAPS) {
      errno = ENOMEM;
      fail("map: too many mappings");
    }
    char *m = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, (off_t)((i % slots) * 2 * page));
    if (m == MAP_FAILED) fail("mmap data.bin");
    volatile char c = m[0];
    (void)c;
    maps_kept[maps_count++] = m;
  }
  close(fd);
}

/*
 * What a JavaScript engine does to grow its heap: memory reserved inaccessible (PROT_NONE), then
 * made writable a chunk at a time by mprotect and written (V8: 256 KiB and 32 KiB chunks; tsc does
 * 816 such mprotects). gVisor's Sentry changes the mapping and handles the chunk's first touch.
 * One operation: one chunk of 64 KiB made writable and its first page written.
 */
#define PROTECT_CHUNK (64 * 1024)
static char *reserved;
static size_t reserved_size;

static void protects(long n) {
  reserved_size = (size_t)n * PROTECT_CHUNK;
  reserved = mmap(NULL, reserved_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserved == MAP_FAILED) fail("mmap PROT_NONE");
  for (long i = 0; i < n; i++) {
    char *chunk = reserved + (size_t)i * PROTECT_CHUNK;
    if (mprotect(chunk, PROTECT_CHUNK, PROT_READ | PROT_WRITE) != 0) fail("mprotect");
    chunk[0] = 1;
  }
}

static void release_maps(void) {
  long page = sysconf(_SC_PAGESIZE);
  for (long i = 0; i < maps_count; i++) munmap(maps_kept[i], (size_t)page);
  maps_count = 0;
  if (reserved != NULL) munmap(reserved, reserved_size);
  reserved = NULL;
}

/* rchar and wchar of this process, its dead threads and its reaped children. */
static void io_counts(long long *rchar, long long *wchar) {
  *rchar = *wchar = 0;
  FILE *f = fopen("/proc/self/io", "r");
  if (f == NULL) return;
  char key[32];
  long long value;
  while (fscanf(f, "%31s %lld", key, &value) == 2) {
    if (strcmp(key, "rchar:") == 0) *rchar = value;
    if (strcmp(key, "wchar:") == 0) *wchar = value;
  }
  fclose(f);
}

static long long usec(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

#define MAX_EVENTS 64
#define NO_EVENTS 125
#define MAX_GROUPS 4

/* Which tasks an event counts: PROGRAM and all it starts; its process's threads; its first thread. */
enum scope { ALL_TASKS, OWN_THREADS, FIRST_THREAD };

/*
 * A uprobe is made a tracepoint of its own in tracefs (uprobe_events), so that it is inherited
 * like the others: the uprobe PMU's events take their file's path as a pointer into the opener's
 * memory, which a thread the command starts cannot inherit (its clone fails: node aborts).
 * Named after this process; removed again by remove_uprobes() once the counts are read.
 */
static const char *TRACEFS[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
static const char *uprobe_root;
static int uprobes_made;

static int write_uprobe_events(const char *line) {
  char path[256];
  snprintf(path, sizeof path, "%s/uprobe_events", uprobe_root);
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, line, strlen(line));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(line) ? 0 : -1;
}

/* Once their events are closed; a probe still held open elsewhere (EBUSY) is tried again briefly. */
static void remove_uprobes(void);

/*
 * The probes of counters that died before removing theirs (killed by a timeout, or a crash):
 * `sandbox_perf_PID` groups whose PID no longer exists. Only our own prefix is read; a live
 * process's group (its counter still running, or an unrelated reuse of the number) is left.
 */
static void sweep_stale_uprobes(void) {
  char path[256], line[4400], removal[96];
  snprintf(path, sizeof path, "%s/uprobe_events", uprobe_root);
  FILE *f = fopen(path, "re");
  if (f == NULL) return;
  int stale_pids[64], stale_probes[64], stale = 0;
  while (stale < 64 && fgets(line, sizeof line, f) != NULL) {
    int pid, probe;
    if (sscanf(line, "p:sandbox_perf_%d/u%d ", &pid, &probe) == 2 && pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
      stale_pids[stale] = pid;
      stale_probes[stale++] = probe;
    }
  }
  fclose(f);
  for (int i = 0; i < stale; i++) {
    snprintf(removal, sizeof removal, "-:sandbox_perf_%d/u%d\n", stale_pids[i], stale_probes[i]);
    write_uprobe_events(removal);
  }
}

/* The specs made into uprobes, and their tracepoint ids: one probe a spec, whatever its scopes. */
static const char *uprobe_specs[MAX_EVENTS];
static unsigned long long uprobe_ids[MAX_EVENTS];

/* The tracepoint id of the uprobe at OFFSET of PATH (made at its first use), or 0 (said on stderr). */
static unsigned long long make_uprobe(const char *spec) {
  for (int i = 0; i < uprobes_made; i++) {
    if (uprobe_specs[i] == spec) return uprobe_ids[i];
  }
  char *end;
  unsigned long long offset = strtoull(spec + 7, &end, 0);
  if (end == spec + 7 || *end != ':' || end[1] == '\0') {
    fprintf(stderr, "sandbox-perf-calib: -e %s: expected uprobe:OFFSET:PATH\n", spec);
    return 0;
  }
  char line[4200], path[256];
  for (size_t i = 0; i < sizeof TRACEFS / sizeof TRACEFS[0] && uprobe_root == NULL; i++) {
    snprintf(path, sizeof path, "%s/uprobe_events", TRACEFS[i]);
    if (access(path, W_OK) == 0) uprobe_root = TRACEFS[i];
  }
  if (uprobe_root == NULL) {
    fprintf(stderr, "sandbox-perf-calib: -e %s: no writable uprobe_events in tracefs\n", spec);
    return 0;
  }
  int index = uprobes_made;
  if (index == 0) {
    sweep_stale_uprobes();
    // fail()'s exit removes them too; the normal end removes them itself.
    atexit(remove_uprobes);
  }
  snprintf(line, sizeof line, "p:sandbox_perf_%d/u%d %s:0x%llx\n", (int)getpid(), index, end + 1, offset);
  if (write_uprobe_events(line) != 0) {
    fprintf(stderr, "sandbox-perf-calib: -e %s: uprobe_events: %s\n", spec, strerror(errno));
    return 0;
  }
  uprobes_made++;
  snprintf(path, sizeof path, "sandbox_perf_%d/u%d", (int)getpid(), index);
  unsigned long long id = sc_event_id(uprobe_root, path);
  if (id == 0) fprintf(stderr, "sandbox-perf-calib: %s/events/%s/id: %s\n", uprobe_root, path, strerror(errno));
  uprobe_specs[index] = spec;
  uprobe_ids[index] = id;
  return id;
}

static void remove_uprobes(void) {
  char line[64];
  for (int i = 0; i < uprobes_made; i++) {
    snprintf(line, sizeof line, "-:sandbox_perf_%d/u%d\n", (int)getpid(), i);
    for (int tries = 0; tries < 50 && write_uprobe_events(line) != 0 && errno == EBUSY; tries++) usleep(20000);
  }
  uprobes_made = 0;
}

/*
 * Opens `spec` on `pid` (and what `scope` adds), enabled at its exec: tracepoint ID or ID:FILTER,
 * or uprobe:OFFSET:PATH (entries to the code at file offset OFFSET of PATH).
 */
static int open_event(const char *spec, pid_t pid, enum scope scope) {
  char *end = (char *)"";
  unsigned long long id;
  if (strncmp(spec, "uprobe:", 7) == 0) {
    id = make_uprobe(spec);
    if (id == 0) return -1;
  } else {
    id = strtoull(spec, &end, 10);
    if (end == spec || (*end != '\0' && *end != ':')) {
      fprintf(stderr, "sandbox-perf-calib: -e %s: expected ID or ID:FILTER\n", spec);
      return -1;
    }
  }
  struct perf_event_attr attr = sc_tracepoint_attr(id);
  attr.inherit = scope != FIRST_THREAD;
  attr.inherit_thread = scope == OWN_THREADS;
  attr.enable_on_exec = 1;
  int fd = (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "sandbox-perf-calib: perf_event_open of %s: %s\n", spec, strerror(errno));
    return -1;
  }
  if (*end == ':' && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, end + 1) != 0) {
    fprintf(stderr, "sandbox-perf-calib: filter '%s' on tracepoint %llu: %s\n", end + 1, id, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static void close_events(const int *fds, int (*own)[2], int events, int on_threads) {
  for (int i = 0; i < events; i++) {
    if (fds[i] >= 0) close(fds[i]);
  }
  for (int i = 0; on_threads && i < events; i++) {
    if (own[i][0] >= 0) close(own[i][0]);
    if (own[i][1] >= 0) close(own[i][1]);
  }
}

/*
 * Opens each spec not open yet (fds[i] < 0), but for those with a BPF slot (bpf_slots >= 0) when
 * `slots` is given, on `pid`, and with *on_threads in its two thread scopes too (where the kernel
 * cannot count those, it says so and clears *on_threads); -1 when a spec cannot be opened (said on
 * stderr).
 */
static int open_perf_events(const char **specs, int events, const int *slots, pid_t pid, int *on_threads, int *fds, int (*own)[2]) {
  for (int i = 0; i < events; i++) {
    if (fds[i] >= 0 || (slots != NULL && slots[i] >= 0)) continue;
    fds[i] = open_event(specs[i], pid, ALL_TASKS);
    if (fds[i] < 0) return -1;
    if (!*on_threads) continue;
    own[i][0] = open_event(specs[i], pid, OWN_THREADS);
    own[i][1] = own[i][0] < 0 ? -1 : open_event(specs[i], pid, FIRST_THREAD);
    if (own[i][1] < 0) {
      fprintf(stderr, "sandbox-perf-calib: the calls on other threads are not counted\n");
      for (int j = 0; j <= i; j++) {
        if (own[j][0] >= 0) close(own[j][0]);
        if (own[j][1] >= 0) close(own[j][1]);
        own[j][0] = own[j][1] = -1;
      }
      *on_threads = 0;
    }
  }
  return 0;
}

/* The slot of the other threads' calls beside a slot of all the command's (syscallCounter.h). */
static int other_threads_slot(int slot) {
  if (slot >= SC_TOTALS) return slot + 1;
  return slot + SC_NR;
}

/*
 * Whether every tracepoint spec is one the BPF counter answers, and it started: `ID` (every call:
 * raw_syscalls:sys_enter), `ID:id == N` (that call), `ID:id == N && ret == 0` (its successes, on
 * sys_exit). slots[i] is the spec's slot in the counter's array, -1 for a uprobe (a perf event).
 */
static int bpf_slots(const char **specs, int events, int *slots, unsigned long long *enter_id, unsigned long long *exit_id) {
  unsigned long long enter = 0, exit = 0;
  for (int i = 0; i < events; i++) {
    slots[i] = -1;
    if (strncmp(specs[i], "uprobe:", 7) == 0) continue;
    char *end;
    unsigned long long id = strtoull(specs[i], &end, 10);
    long nr = -1;
    int consumed = -1, is_exit = 0;
    if (end == specs[i]) return 0;
    if (*end == ':' && sscanf(end + 1, "id == %ld%n", &nr, &consumed) == 1 && consumed > 0) {
      const char *rest = end + 1 + consumed;
      if (strcmp(rest, " && ret == 0") == 0) is_exit = 1;
      else if (*rest != '\0') return 0;
    } else if (*end != '\0') {
      return 0;
    }
    if (nr >= SC_NR || (consumed > 0 && nr < 0) || (is_exit ? (exit != 0 && exit != id) : (enter != 0 && enter != id))) return 0;
    if (is_exit) exit = id;
    else enter = id;
    slots[i] = nr < 0 ? SC_TOTAL_ENTER : (is_exit ? SC_EXIT : SC_ENTER) + (int)nr;
  }
  *enter_id = enter;
  *exit_id = exit;
  return enter != 0;
}

static int start_bpf(struct syscall_counter *c, pid_t pid, unsigned long long enter, unsigned long long exit) {
  for (size_t i = 0; i < sizeof TRACEFS / sizeof TRACEFS[0]; i++) {
    if (syscall_counter_start(c, TRACEFS[i], pid, enter, exit) == 0) return 1;
  }
  return 0;
}

/* The cgroup v1 directories `-g` names, joined by the calling process (its cgroup.procs), in order; -1 after saying why. */
static int join_groups(const char **dirs, int n) {
  char path[4200], pid[24];
  int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", dirs[i]);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, (size_t)len) != len) {
      fprintf(stderr, "sandbox-perf-calib: -g %s: %s\n", dirs[i], strerror(errno));
      if (fd >= 0) close(fd);
      return -1;
    }
    close(fd);
  }
  return 0;
}

static int count(const char *file, char **argv) {
  const char *specs[MAX_EVENTS];
  int events = 0;
  int notify = -1, on_threads = 0, perf_only = 0;
  const char *groups[MAX_GROUPS];
  int ngroups = 0;
  // The options, in any order, before PROGRAM.
  for (; argv[0] != NULL && argv[0][0] == '-'; argv++) {
    const char *option = argv[0], *value = argv[1];
    if (strcmp(option, "-t") == 0) {
      on_threads = 1;
    } else if (strcmp(option, "-P") == 0) {
      perf_only = 1;
    } else if (value == NULL) {
      break;
    } else if (strcmp(option, "-n") == 0) {
      notify = atoi(value);
      if (fcntl(notify, F_SETFD, FD_CLOEXEC) != 0) fail("-n FD");
      argv++;
    } else if (strcmp(option, "-g") == 0 || strcmp(option, "-e") == 0) {
      int is_group = option[1] == 'g';
      if ((is_group ? ngroups : events) == (is_group ? MAX_GROUPS : MAX_EVENTS)) {
        fprintf(stderr, "sandbox-perf-calib: at most %d %s\n", is_group ? MAX_GROUPS : MAX_EVENTS, is_group ? "groups" : "events");
        return 2;
      }
      if (is_group) groups[ngroups++] = value;
      else specs[events++] = value;
      argv++;
    } else {
      break;
    }
  }
  if (argv[0] == NULL) {
    fprintf(stderr, "sandbox-perf-calib: count needs a program\n");
    return 2;
  }
  FILE *out = fopen(file, "we");
  if (out == NULL) fail(file);
  long long r0, w0;
  io_counts(&r0, &w0);
  // The child joins its groups while the events are opened on it, and waits for them before its exec.
  int go[2], joined[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(joined, O_CLOEXEC) != 0) fail("pipe");
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    char byte;
    close(go[1]);
    close(joined[0]);
    char said = join_groups(groups, ngroups) == 0 ? 'j' : 'f';
    if (write(joined[1], &said, 1) != 1 || said != 'j') _exit(NO_EVENTS);
    close(joined[1]);
    if (read(go[0], &byte, 1) != 1) _exit(NO_EVENTS);
    execvp(argv[0], argv);
    fprintf(stderr, "sandbox-perf-calib: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(go[0]);
  close(joined[1]);
  /*
   * The calls by BPF where it can count them all (syscallCounter.h), the rest (a uprobe) by perf
   * events, opened first. The BPF part costs about 2 ms to set up; a uprobe's registration waits
   * for a grace period either way (13-32 ms here).
   */
  struct syscall_counter calls;
  int slots[MAX_EVENTS];
  unsigned long long enter_id = 0, exit_id = 0;
  int bpf_wanted = !perf_only && bpf_slots(specs, events, slots, &enter_id, &exit_id);
  int fds[MAX_EVENTS], own[MAX_EVENTS][2];
  for (int i = 0; i < events; i++) fds[i] = own[i][0] = own[i][1] = -1;
  // The uprobe's first (or all of them, without BPF), then the calls by BPF, else by perf events too.
  int opened = open_perf_events(specs, events, bpf_wanted ? slots : NULL, pid, &on_threads, fds, own) == 0;
  int by_bpf = opened && bpf_wanted && start_bpf(&calls, pid, enter_id, exit_id);
  if (opened && bpf_wanted && !by_bpf) opened = open_perf_events(specs, events, NULL, pid, &on_threads, fds, own) == 0;
  if (getenv("SANDBOX_PERF_COUNT_VERBOSE") != NULL) {
    fprintf(stderr, "sandbox-perf-calib: calls counted by %s\n", by_bpf ? "BPF" : "perf events");
  }
  char said = 'f';
  if (!opened || read(joined[0], &said, 1) != 1 || said != 'j') {
    // The child reads end of file (or said why it could not join on stderr) and exits without running the program.
    close(go[1]);
    waitpid(pid, NULL, 0);
    close_events(fds, own, events, on_threads);
    if (by_bpf) syscall_counter_close(&calls);
    remove_uprobes();
    return NO_EVENTS;
  }
  close(joined[0]);
  if (write(go[1], "", 1) != 1) fail("pipe");
  close(go[1]);
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) fail("wait4");
  }
  long long r1, w1;
  io_counts(&r1, &w1);
  fprintf(out, "%ld %ld %lld %lld %lld %lld\n", ru.ru_minflt, ru.ru_majflt, usec(ru.ru_utime), usec(ru.ru_stime), r1 - r0, w1 - w0);
  for (int i = 0; i < events; i++) {
    unsigned long long value = 0;
    if (by_bpf && slots[i] >= 0) value = syscall_counter_read(&calls, slots[i]);
    else if (read(fds[i], &value, sizeof value) != (ssize_t)sizeof value) fail("read of a perf event");
    fprintf(out, i == 0 ? "%llu" : " %llu", value);
  }
  if (events > 0) fputc('\n', out);
  for (int i = 0; on_threads && i < events; i++) {
    unsigned long long all = 0, first = 0;
    if (by_bpf && slots[i] >= 0) {
      all = syscall_counter_read(&calls, other_threads_slot(slots[i]));
    } else if (read(own[i][0], &all, sizeof all) != (ssize_t)sizeof all || read(own[i][1], &first, sizeof first) != (ssize_t)sizeof first) {
      fail("read of a perf event");
    }
    fprintf(out, i == 0 ? "%llu" : " %llu", all > first ? all - first : 0);
  }
  if (on_threads && events > 0) fputc('\n', out);
  if (fclose(out) != 0) fail(file);
  if (notify >= 0) {
    dprintf(notify, WIFSIGNALED(status) ? "signal %d\n" : "exit %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    close(notify);
  }
  unsigned long long lost = by_bpf ? syscall_counter_read(&calls, SC_LOST_TASKS) : 0;
  if (lost > 0) fprintf(stderr, "sandbox-perf-calib: %llu processes or threads were not counted (over %d at once)\n", lost, SC_TASKS);
  close_events(fds, own, events, on_threads);
  if (by_bpf) syscall_counter_close(&calls);
  remove_uprobes();
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

/* The system calls the classes name (src/calibrate/classes.ts), by this architecture's numbers. */
static const struct {
  const char *name;
  long number;
} SYSCALLS[] = {
#ifdef SYS_stat
    {"stat", SYS_stat},
#endif
#ifdef SYS_lstat
    {"lstat", SYS_lstat},
#endif
#ifdef SYS_newfstatat
    {"newfstatat", SYS_newfstatat},
#endif
#ifdef SYS_fstatat64
    {"fstatat64", SYS_fstatat64},
#endif
#ifdef SYS_statx
    {"statx", SYS_statx},
#endif
#ifdef SYS_access
    {"access", SYS_access},
#endif
#ifdef SYS_faccessat
    {"faccessat", SYS_faccessat},
#endif
#ifdef SYS_faccessat2
    {"faccessat2", SYS_faccessat2},
#endif
#ifdef SYS_readlink
    {"readlink", SYS_readlink},
#endif
#ifdef SYS_readlinkat
    {"readlinkat", SYS_readlinkat},
#endif
#ifdef SYS_open
    {"open", SYS_open},
#endif
#ifdef SYS_openat
    {"openat", SYS_openat},
#endif
#ifdef SYS_openat2
    {"openat2", SYS_openat2},
#endif
#ifdef SYS_creat
    {"creat", SYS_creat},
#endif
#ifdef SYS_close
    {"close", SYS_close},
#endif
#ifdef SYS_unlink
    {"unlink", SYS_unlink},
#endif
#ifdef SYS_unlinkat
    {"unlinkat", SYS_unlinkat},
#endif
#ifdef SYS_rmdir
    {"rmdir", SYS_rmdir},
#endif
#ifdef SYS_mkdir
    {"mkdir", SYS_mkdir},
#endif
#ifdef SYS_mkdirat
    {"mkdirat", SYS_mkdirat},
#endif
#ifdef SYS_rename
    {"rename", SYS_rename},
#endif
#ifdef SYS_renameat
    {"renameat", SYS_renameat},
#endif
#ifdef SYS_renameat2
    {"renameat2", SYS_renameat2},
#endif
#ifdef SYS_link
    {"link", SYS_link},
#endif
#ifdef SYS_linkat
    {"linkat", SYS_linkat},
#endif
#ifdef SYS_symlink
    {"symlink", SYS_symlink},
#endif
#ifdef SYS_symlinkat
    {"symlinkat", SYS_symlinkat},
#endif
#ifdef SYS_mmap
    {"mmap", SYS_mmap},
#endif
#ifdef SYS_mmap2
    {"mmap2", SYS_mmap2},
#endif
#ifdef SYS_mprotect
    {"mprotect", SYS_mprotect},
#endif
#ifdef SYS_execve
    {"execve", SYS_execve},
#endif
#ifdef SYS_execveat
    {"execveat", SYS_execveat},
#endif
};

static int syscall_numbers(void) {
  for (size_t i = 0; i < sizeof SYSCALLS / sizeof SYSCALLS[0]; i++) printf("%s %ld\n", SYSCALLS[i].name, SYSCALLS[i].number);
  return fflush(stdout) == 0 ? 0 : 1;
}

/* One class's N operations; 0, or 2 when the class is unknown. */
static int run_class(const char *class, long n, const char *self) {
  if (strcmp(class, "cpu") == 0) cpu(n);
  else if (strcmp(class, "syscall") == 0) sys(n);
  else if (strcmp(class, "thread") == 0) threads(n);
  else if (strcmp(class, "clock") == 0) clocks(n);
  else if (strcmp(class, "stat") == 0) stats(n);
  else if (strcmp(class, "open") == 0) opens(n);
  else if (strcmp(class, "create") == 0) creates(n);
  else if (strcmp(class, "read") == 0) reads(n);
  else if (strcmp(class, "write") == 0) writes(n);
  else if (strcmp(class, "spawn") == 0) spawns(n, self);
  else if (strcmp(class, "fault") == 0) faults(n);
  else if (strcmp(class, "map") == 0) maps(n);
  else if (strcmp(class, "protect") == 0) protects(n);
  else {
    fprintf(stderr, "sandbox-perf-calib: unknown class '%s'\n", class);
    return 2;
  }
  return 0;
}

static double now_ms(void);

/*
 * A batch run's `cpu` phase: N steps done as 4N quarter steps, each timed, N times four times the
 * fastest (less one clock read, what a quarter's timing adds). Every sandbox here runs these
 * instructions natively, and on this shared 2-core machine a phase's wall time is mostly waiting
 * for a core: at load 7-8 the same 64 steps took 1.3 to 5.1 ms a step on one backend from one
 * run to the next, while the fastest step read 1.0827 ms on none, bubblewrap, docker and gVisor
 * alike. Waiting for a core only adds time and is no cost of isolation (a paired check's none runs
 * wait as long): the fastest piece is the cost of the instructions themselves. Quarters (0.27 ms):
 * at load 12, 16 whole steps sometimes held none that ran without waiting.
 */
static double cpu_phase(long n) {
  double fastest = 1e300;
  double last = now_ms();
  for (long i = 0; i < 4 * n; i++) {
    recurrence(1, 250000);
    double t = now_ms();
    if (t - last < fastest) fastest = t - last;
    last = t;
  }
  // gVisor's clock_gettime may reach its Sentry (60-90 us a read at load 7): not a step's cost.
  double clock_read = 1e300;
  for (int i = 0; i < 16; i++) {
    double a = now_ms();
    double b = now_ms();
    if (b - a < clock_read) clock_read = b - a;
  }
  return n == 0 ? 0 : 4.0 * (double)n * (fastest - clock_read);
}

static long count_arg(const char *text) {
  char *end;
  long n = strtol(text, &end, 10);
  if (*end != '\0' || n < 0 || end == text) {
    fprintf(stderr, "sandbox-perf-calib: N must be a whole number >= 0, got '%s'\n", text);
    exit(2);
  }
  return n;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Every class in one process, each timed on its own: calibrate's run per backend and round, so
 * that a backend's start (1-3 s a run for Docker and the pools' refill under load) is paid once
 * a round rather than once per class and size.
 */
/*
 * gVisor answers a sandbox's first ~1 000 clock reads for less than its later ones (45 against
 * 60-67 µs, classes.ts): a batch that opens with the clock's phases reads it this many times,
 * untimed, first, so that both phases time the reads a program spreads over gVisor's first second.
 */
#define CLOCK_WARMUP 1000

static int batch(int argc, char **argv, const char *self) {
  if (argc % 2 != 0) {
    fprintf(stderr, "usage: sandbox-perf-calib batch CLASS N [CLASS N]...\n");
    return 2;
  }
  if (argc >= 2 && strcmp(argv[0], "clock") == 0) {
    double t0 = now_ms();
    clocks(CLOCK_WARMUP);
    printf("warmup clock %d %.6f\n", CLOCK_WARMUP, now_ms() - t0);
  }
  for (int i = 0; i < argc; i += 2) {
    long n = count_arg(argv[i + 1]);
    if (strcmp(argv[i], "cpu") == 0) {
      printf("cpu %ld %.6f\n", n, cpu_phase(n));
      if (fflush(stdout) != 0) return 1;
      continue;
    }
    double t0 = now_ms();
    int rc = run_class(argv[i], n, self);
    if (rc != 0) return rc;
    double ms = now_ms() - t0;
    release_maps();
    printf("%s %ld %.6f\n", argv[i], n, ms);
    // Written before the next phase: a spawn phase's forks must not copy an unwritten buffer.
    if (fflush(stdout) != 0) return 1;
  }
  return 0;
}

#define LEFT_FILE_BYTES 2048

static int leave(long n) {
  char data[LEFT_FILE_BYTES];
  char name[64];
  memset(data, 'x', sizeof data);
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof name, "left/f%ld", i);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(name);
    if (write(fd, data, sizeof data) != (ssize_t)sizeof data) fail("write left/");
    close(fd);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "noop") == 0) return 0;
  if (argc == 3 && strcmp(argv[1], "leave") == 0) return leave(count_arg(argv[2]));
  if (argc == 2 && strcmp(argv[1], "syscalls") == 0) return syscall_numbers();
  if (argc >= 2 && strcmp(argv[1], "batch") == 0) return batch(argc - 2, argv + 2, argv[0]);
  if (argc >= 4 && strcmp(argv[1], "count") == 0) return count(argv[2], argv + 3);
  if (argc != 3) {
    fprintf(stderr, "usage: sandbox-perf-calib cpu|syscall|thread|clock|stat|open|create|read|write|spawn|fault|map|protect|leave N\n");
    return 2;
  }
  return run_class(argv[1], count_arg(argv[2]), argv[0]);
}
