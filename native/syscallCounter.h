/*
 * The counter's system calls by number, counted by one BPF program per tracepoint instead of one
 * perf event per call a class names (native/calib.c `count`). Every perf event on
 * raw_syscalls:sys_enter is looked at on every call the command makes: with the 36 events of
 * predict's classes, each in 3 scopes (`-t`), npm ci's profiling run took 1 638 ms against
 * 1 221 with one event and 1 207 with none (medians of 9, 2026-12-07). A BPF program runs once a
 * call, on every call of the machine, and counts those of the command's tasks into an array by the
 * call's number.
 *
 * Which tasks are the command's: a hash of thread ids, which the command's first thread enters at
 * its exec (sched_process_exec: from then on, as the perf events' enable_on_exec), every thread or
 * process a tracked one starts enters at its start (sched_process_fork, before the child runs),
 * and each leaves at its exit (sched_process_exit: a thread id used again later is not counted).
 * A call is on "another thread" when its process is the command's first one (thread group id) and
 * its thread is not that one: perf's inherit_thread scope less its first thread's.
 *
 * Where BPF cannot be used (not root, a kernel without it, a tracepoint format not as expected)
 * the caller opens perf events as before: the counts are the same, only slower to take.
 */
#include <linux/bpf.h>
#include <pthread.h>

/* Kernel headers before 5.12 call it BPF_XADD (the same code); the programs run on 4.x kernels too. */
#ifndef BPF_ATOMIC
#define BPF_ATOMIC 0xc0
#endif

/* Call numbers counted: x86-64's and arm64's are below 512. */
#define SC_NR 1024
/* The array: calls entered [0, NR), entered on other threads [NR, 2NR), exits with 0 [2NR, 3NR), on other threads [3NR, 4NR); then totals. */
enum { SC_ENTER = 0, SC_ENTER_OTHER = SC_NR, SC_EXIT = 2 * SC_NR, SC_EXIT_OTHER = 3 * SC_NR, SC_TOTALS = 4 * SC_NR };
enum { SC_TOTAL_ENTER = SC_TOTALS, SC_TOTAL_ENTER_OTHER, SC_TOTAL_EXIT, SC_TOTAL_EXIT_OTHER, SC_LOST_TASKS, SC_SLOTS };
/* Tasks tracked at once. */
#define SC_TASKS 65536
#define SC_PROGRAMS 5

struct syscall_counter {
  int tracked, counts;
  int programs[SC_PROGRAMS], events[SC_PROGRAMS];
  int made;
};

#define SC_INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/* A program under construction: its jumps to the end are patched once the end is known. */
struct sc_program {
  struct bpf_insn insns[128];
  int n, to_end[16], jumps;
};

static void sc_emit(struct sc_program *p, struct bpf_insn insn) {
  if (p->n < (int)(sizeof p->insns / sizeof p->insns[0])) p->insns[p->n] = insn;
  p->n++;
}

static void sc_jump_to_end(struct sc_program *p, int op, int reg, int imm) {
  if (p->jumps < (int)(sizeof p->to_end / sizeof p->to_end[0])) p->to_end[p->jumps] = p->n;
  p->jumps++;
  sc_emit(p, SC_INSN(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
}

static void sc_map(struct sc_program *p, int reg, int fd) {
  sc_emit(p, SC_INSN(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd));
  sc_emit(p, SC_INSN(0, 0, 0, 0, 0));
}

/* r1 = the current thread's id (the low half of bpf_get_current_pid_tgid, kept whole in r7). */
static void sc_current_thread(struct sc_program *p) {
  sc_emit(p, SC_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_LSH | BPF_K, 1, 0, 0, 32));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_RSH | BPF_K, 1, 0, 0, 32));
}

/* r0 = map[r1] (the key stored at fp+at), or the end when it has none (clobbers r0-r5). */
static void sc_lookup(struct sc_program *p, int map, int at) {
  sc_emit(p, SC_INSN(BPF_STX | BPF_W | BPF_MEM, 10, 1, (short)at, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, at));
  sc_map(p, 1, map);
  sc_emit(p, SC_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
  sc_jump_to_end(p, BPF_JEQ, 0, 0);
}

/* The end unless the thread id in r1 is tracked (kept at fp-4). */
static void sc_require_tracked(struct sc_program *p, int tracked) { sc_lookup(p, tracked, -4); }

/* counts[r1] += 1 (r1 is the slot; clobbers r0-r5). */
static void sc_add_one(struct sc_program *p, int counts) {
  sc_lookup(p, counts, -8);
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1));
  sc_emit(p, SC_INSN(BPF_STX | BPF_DW | BPF_ATOMIC, 0, 1, 0, BPF_ADD));
}

static void sc_slot(struct sc_program *p, int base) {
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 8, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, base));
}

static void sc_total(struct sc_program *p, int slot) { sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, slot)); }

/*
 * r0 = 1; exit, with every jump to the end patched. A tracepoint's programs decide whether its
 * perf events see the hit: 0 would hide every call from anyone else's perf events on
 * raw_syscalls (another counter's, `perf stat`'s) while this one runs.
 */
static void sc_end(struct sc_program *p) {
  for (int i = 0; i < p->jumps && i < (int)(sizeof p->to_end / sizeof p->to_end[0]); i++) {
    p->insns[p->to_end[i]].off = (short)(p->n - p->to_end[i] - 1);
  }
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
  sc_emit(p, SC_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/*
 * raw_syscalls:sys_enter (exits: false) or sys_exit (true, counting only those that return 0):
 * the call's number at `id_at` of the record, its return value at `ret_at`.
 */
static void sc_calls_program(struct sc_program *p, const struct syscall_counter *c, pid_t command, int exits, int id_at, int ret_at) {
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));
  sc_current_thread(p);
  sc_require_tracked(p, c->tracked);
  sc_emit(p, SC_INSN(BPF_LDX | BPF_DW | BPF_MEM, 8, 6, (short)id_at, 0));
  sc_jump_to_end(p, BPF_JGT, 8, SC_NR - 1);
  if (exits) {
    sc_emit(p, SC_INSN(BPF_LDX | BPF_DW | BPF_MEM, 9, 6, (short)ret_at, 0));
    sc_jump_to_end(p, BPF_JNE, 9, 0);
  }
  sc_slot(p, exits ? SC_EXIT : SC_ENTER);
  sc_add_one(p, c->counts);
  sc_total(p, exits ? SC_TOTAL_EXIT : SC_TOTAL_ENTER);
  sc_add_one(p, c->counts);
  // Another thread of the command's first process: its thread group id is the command's, its thread id is not.
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_RSH | BPF_K, 1, 0, 0, 32));
  sc_jump_to_end(p, BPF_JNE, 1, command);
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_LSH | BPF_K, 1, 0, 0, 32));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_RSH | BPF_K, 1, 0, 0, 32));
  sc_jump_to_end(p, BPF_JEQ, 1, command);
  sc_slot(p, exits ? SC_EXIT_OTHER : SC_ENTER_OTHER);
  sc_add_one(p, c->counts);
  sc_total(p, exits ? SC_TOTAL_EXIT_OTHER : SC_TOTAL_ENTER_OTHER);
  sc_add_one(p, c->counts);
  sc_end(p);
}

/* tracked[r1] = 1 (r1 a thread id); a table full counts a lost task. */
static void sc_track(struct sc_program *p, const struct syscall_counter *c) {
  sc_emit(p, SC_INSN(BPF_STX | BPF_W | BPF_MEM, 10, 1, -4, 0));
  sc_emit(p, SC_INSN(BPF_ST | BPF_W | BPF_MEM, 10, 0, -8, 1));
  sc_map(p, 1, c->tracked);
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, BPF_ANY));
  sc_emit(p, SC_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem));
  sc_jump_to_end(p, BPF_JEQ, 0, 0);
  sc_total(p, SC_LOST_TASKS);
  sc_add_one(p, c->counts);
}

/* sched_process_fork: a tracked thread's new thread or process (its id at `child_at`) is tracked. */
static void sc_fork_program(struct sc_program *p, const struct syscall_counter *c, int child_at) {
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));
  sc_current_thread(p);
  sc_require_tracked(p, c->tracked);
  sc_emit(p, SC_INSN(BPF_LDX | BPF_W | BPF_MEM, 1, 6, (short)child_at, 0));
  sc_track(p, c);
  sc_end(p);
}

/* sched_process_exec: the command's first thread is tracked from its exec on. */
static void sc_exec_program(struct sc_program *p, const struct syscall_counter *c, pid_t command) {
  sc_current_thread(p);
  sc_jump_to_end(p, BPF_JNE, 1, command);
  sc_track(p, c);
  sc_end(p);
}

/* sched_process_exit: an ending thread is no longer tracked. */
static void sc_exit_program(struct sc_program *p, const struct syscall_counter *c) {
  sc_current_thread(p);
  sc_emit(p, SC_INSN(BPF_STX | BPF_W | BPF_MEM, 10, 1, -4, 0));
  sc_map(p, 1, c->tracked);
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
  sc_emit(p, SC_INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));
  sc_emit(p, SC_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_delete_elem));
  sc_end(p);
}

/* A perf event on tracepoint `id`, disabled. */
static struct perf_event_attr sc_tracepoint_attr(unsigned long long id) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof attr;
  attr.config = id;
  attr.disabled = 1;
  return attr;
}

static long sc_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

static int sc_map_create(int type, int key, int value, int entries, int flags) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_flags = (unsigned)flags;
  attr.map_type = (unsigned)type;
  attr.key_size = (unsigned)key;
  attr.value_size = (unsigned)value;
  attr.max_entries = (unsigned)entries;
  return (int)sc_bpf(BPF_MAP_CREATE, &attr);
}

/*
 * Loads `p` and attaches it to tracepoint `id` (all CPUs, every task: the program picks); -1 when
 * either fails. The perf event that carries it stays disabled: the program runs on every hit all
 * the same, and a disabled event takes no samples.
 */
static int sc_attach(struct syscall_counter *c, struct sc_program *p, unsigned long long id) {
  if (c->made == SC_PROGRAMS || p->n > (int)(sizeof p->insns / sizeof p->insns[0]) ||
      p->jumps > (int)(sizeof p->to_end / sizeof p->to_end[0])) {
    return -1;
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_TRACEPOINT;
  attr.insns = (unsigned long)p->insns;
  attr.insn_cnt = (unsigned)p->n;
  attr.license = (unsigned long)"Dual MIT/GPL";
  // With SANDBOX_PERF_BPF_LOG set, the verifier's reasons for a program it refuses go to stderr.
  static char log[16384];
  const int logging = getenv("SANDBOX_PERF_BPF_LOG") != NULL;
  if (logging) attr.log_buf = (unsigned long)log, attr.log_size = sizeof log, attr.log_level = 1;
  int program = (int)sc_bpf(BPF_PROG_LOAD, &attr);
  if (program < 0) {
    if (logging) fprintf(stderr, "sandbox-perf-calib: BPF program: %s\n%s\n", strerror(errno), log);
    return -1;
  }
  struct perf_event_attr pe = sc_tracepoint_attr(id);
  pe.sample_period = 1;
  pe.sample_type = PERF_SAMPLE_RAW;
  int event = (int)syscall(SYS_perf_event_open, &pe, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (event < 0 || ioctl(event, PERF_EVENT_IOC_SET_BPF, program) != 0) {
    if (event >= 0) close(event);
    close(program);
    return -1;
  }
  c->programs[c->made] = program;
  c->events[c->made++] = event;
  return 0;
}

static void *sc_close_event(void *fd) {
  close((int)(long)fd);
  return NULL;
}

/*
 * Each event's close detaches its program and, the tracepoint's last, unregisters it: the kernel
 * waits for grace periods then, about 100 ms a tracepoint here. Closed side by side, the waits
 * overlap (5 tracepoints: 550 -> ~150 ms).
 */
static void syscall_counter_close(struct syscall_counter *c) {
  pthread_t closing[SC_PROGRAMS];
  int started[SC_PROGRAMS] = {0};
  for (int i = 0; i < c->made; i++) {
    started[i] = pthread_create(&closing[i], NULL, sc_close_event, (void *)(long)c->events[i]) == 0;
    if (!started[i]) close(c->events[i]);
  }
  for (int i = 0; i < c->made; i++) {
    if (started[i]) pthread_join(closing[i], NULL);
    close(c->programs[i]);
  }
  c->made = 0;
  if (c->tracked >= 0) close(c->tracked);
  if (c->counts >= 0) close(c->counts);
  c->tracked = c->counts = -1;
}

/* The offset of `field` in tracefs event `event`'s records (its format file), or -1. */
static int sc_field_offset(const char *root, const char *event, const char *field) {
  char path[512], line[512], want[128];
  snprintf(path, sizeof path, "%s/events/%s/format", root, event);
  snprintf(want, sizeof want, " %s;", field);
  FILE *f = fopen(path, "re");
  if (f == NULL) return -1;
  int offset = -1;
  while (offset < 0 && fgets(line, sizeof line, f) != NULL) {
    char *at = strstr(line, want), *off = strstr(line, "offset:");
    if (at != NULL && off != NULL && off > at) offset = atoi(off + 7);
  }
  fclose(f);
  return offset;
}

static unsigned long long sc_event_id(const char *root, const char *event) {
  char path[512];
  snprintf(path, sizeof path, "%s/events/%s/id", root, event);
  FILE *f = fopen(path, "re");
  unsigned long long id = 0;
  if (f == NULL) return 0;
  if (fscanf(f, "%llu", &id) != 1) id = 0;
  fclose(f);
  return id;
}

/* syscall_counter_start with the task table's map flags. */
static int sc_start(struct syscall_counter *c, const char *root, pid_t command, unsigned long long enter_id,
                    unsigned long long exit_id, int tracked_flags) {
  memset(c, 0, sizeof *c);
  c->tracked = c->counts = -1;
  if (sc_event_id(root, "raw_syscalls/sys_enter") != enter_id ||
      (exit_id != 0 && sc_event_id(root, "raw_syscalls/sys_exit") != exit_id)) {
    return -1;
  }
  int id_at = sc_field_offset(root, "raw_syscalls/sys_enter", "id");
  int exit_id_at = sc_field_offset(root, "raw_syscalls/sys_exit", "id");
  int ret_at = sc_field_offset(root, "raw_syscalls/sys_exit", "ret");
  int child_at = sc_field_offset(root, "sched/sched_process_fork", "child_pid");
  unsigned long long fork_id = sc_event_id(root, "sched/sched_process_fork");
  unsigned long long exec_id = sc_event_id(root, "sched/sched_process_exec");
  unsigned long long end_id = sc_event_id(root, "sched/sched_process_exit");
  if (id_at < 8 || child_at < 8 || fork_id == 0 || exec_id == 0 || end_id == 0 || (exit_id != 0 && (exit_id_at < 8 || ret_at < 8))) {
    return -1;
  }
  c->tracked = sc_map_create(BPF_MAP_TYPE_HASH, 4, 4, SC_TASKS, tracked_flags);
  c->counts = sc_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, SC_SLOTS, 0);
  struct sc_program p;
  int ok = c->tracked >= 0 && c->counts >= 0;
  // The tracking first, the exec's last: nothing is counted before the command's exec.
  memset(&p, 0, sizeof p), sc_exit_program(&p, c);
  ok = ok && sc_attach(c, &p, end_id) == 0;
  memset(&p, 0, sizeof p), sc_fork_program(&p, c, child_at);
  ok = ok && sc_attach(c, &p, fork_id) == 0;
  memset(&p, 0, sizeof p), sc_calls_program(&p, c, command, 0, id_at, 0);
  ok = ok && sc_attach(c, &p, enter_id) == 0;
  if (exit_id != 0) {
    memset(&p, 0, sizeof p), sc_calls_program(&p, c, command, 1, exit_id_at, ret_at);
    ok = ok && sc_attach(c, &p, exit_id) == 0;
  }
  memset(&p, 0, sizeof p), sc_exec_program(&p, c, command);
  ok = ok && sc_attach(c, &p, exec_id) == 0;
  if (!ok) syscall_counter_close(c);
  return ok ? 0 : -1;
}

/*
 * Starts counting the calls of `command` (forked, not yet exec'd) and of all it starts, where
 * `enter_id` is raw_syscalls:sys_enter's tracepoint id (and `exit_id`, if not 0, sys_exit's) in
 * tracefs at `root`; 0 when counting, -1 when BPF cannot be used here (nothing left open). The
 * table of tasks is allocated as it fills (a preallocated one took 1.7-3.7 ms to make); kernels
 * before 6.1 let tracing programs use preallocated tables only, and get one.
 */
static int syscall_counter_start(struct syscall_counter *c, const char *root, pid_t command, unsigned long long enter_id,
                                 unsigned long long exit_id) {
  if (sc_start(c, root, command, enter_id, exit_id, BPF_F_NO_PREALLOC) == 0) return 0;
  return sc_start(c, root, command, enter_id, exit_id, 0);
}

static unsigned long long syscall_counter_read(const struct syscall_counter *c, int slot) {
  unsigned int key = (unsigned int)slot;
  unsigned long long value = 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = (unsigned)c->counts;
  attr.key = (unsigned long)&key;
  attr.value = (unsigned long)&value;
  if (sc_bpf(BPF_MAP_LOOKUP_ELEM, &attr) != 0) return 0;
  return value;
}
