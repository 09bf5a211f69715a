/*
 * sandbox-perf spawner: the timer of every host run (issue 27).
 *
 *   sandbox-perf-spawner        (started once by the runner; speaks on standard input and output)
 *
 * One small process per runner, started when a host backend is prepared. It receives each run on
 * standard input, starts it and reports on standard output, so that a run's timed window holds
 * what hyperfine -N times and nothing of the runner's own work:
 *
 *   untimed set-up: fork a child of this small process; the child makes a process group of its own
 *     (in this process's session, which has no controlling terminal), arms its
 *     parent-death signal (and no_new_privs when asked), enters the working directory, takes its
 *     standard streams, joins the run's cgroup v1 groups (cgroup v1 cannot spawn into a group),
 *     says it is ready and parks;
 *   timed:          CLOCK_MONOTONIC, a byte to the parked child, which execs the program ... its
 *     exit, wait4, CLOCK_MONOTONIC: both readings are reported;
 *   untimed teardown: whatever the run left (its process group, its groups' members) is killed,
 *     its output drained, the report sent.
 *
 * Requests (standard input) and replies (standard output) are frames: a 4-byte little-endian
 * length, then the payload. A request is NUL-terminated fields:
 *
 *   run ID TIMEOUT_MS FLAGS CWD FILE ARGC ARGV... ENVC ENV... GROUPC GROUP_DIR... FREEZER_DIR
 *     FLAGS: letters, `n` no_new_privs, `r` a pipe on descriptor 3 for the launcher's report,
 *     `p` a probe: the child exits instead of exec'ing (the timer's own floor, see harness cost).
 *     FILE is the program's path (already looked up); ARGV[0] is what the program sees as its name.
 *     Each GROUP_DIR is joined (its cgroup.procs); FREEZER_DIR (or empty) is frozen to kill a run.
 *   kill ID
 *
 * A reply is: one byte of kind, the run's ID (4 bytes, little-endian), then:
 *   `H` (ID 0, once, first) hello: this spawner can run here
 *   `O` / `E` a chunk of the command's standard output / error
 *   `D` done: "<start ns> <end ns> <wait status> <user us> <system us> <max rss KiB> <timed out 0|1>
 *       <stage> <errno>\n" then what the launcher wrote on descriptor 3 (at most 256 bytes). Stage:
 *       `-` ran; `setup` the child could not be prepared (nothing ran, no times); `exec` the
 *       program could not be started (times are the failed attempt's).
 *
 * Guarantees: the runner's death (standard input at end of file) kills every run in flight and
 * this process; this process's death kills each run's direct child (its parent-death signal). A
 * run's timeout is enforced here, on this clock, whatever the runner's event loop is doing.
 * Output is queued up to QUEUE_CAP bytes when the runner is slow to read; past that the command's
 * pipes are no longer read (it blocks on its writes) until the runner catches up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 256
#define MAX_REQUEST (8 << 20)
#define CHUNK 65536
#define QUEUE_CAP (4 << 20)
#define REPORT_MAX 256
#define DRAIN_GRACE_NS 2000000000LL
#define FREEZE_ROUNDS 100
#define FREEZE_WAIT 200

enum state { FREE, PARKED, RUNNING, DRAINING };

struct run {
  enum state state;
  uint32_t id;
  pid_t pid;
  int pidfd, status_fd, out_fd, err_fd, rep_fd;
  long long start, end, deadline, drain_deadline;
  int timeout_ms, timed_out, probe, wait_status;
  struct rusage usage;
  const char *stage;
  int error;
  char report[REPORT_MAX];
  int report_len;
  char *freezer;
  char **groups;
  int ngroups;
};

static struct run runs[MAX_RUNS];
static char *queue;
static size_t queue_len, queue_size;
static int input_open = 1;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "sandbox-perf-spawner: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void put_u32(char *at, uint32_t value) {
  for (int i = 0; i < 4; i++) at[i] = (char)((value >> (8 * i)) & 0xff);
}

/* Appends one reply frame to the queue written to the runner. */
static void reply(char kind, uint32_t id, const char *data, size_t length) {
  size_t need = queue_len + 9 + length;
  if (need > queue_size) {
    size_t size = queue_size ? queue_size : CHUNK * 2;
    while (size < need) size *= 2;
    char *grown = realloc(queue, size);
    if (grown == NULL) die("out of memory for replies");
    queue = grown;
    queue_size = size;
  }
  put_u32(queue + queue_len, (uint32_t)(5 + length));
  queue[queue_len + 4] = kind;
  put_u32(queue + queue_len + 5, id);
  if (length > 0) memcpy(queue + queue_len + 9, data, length);
  queue_len = need;
}

static void kill_all_and_exit(void);

static void flush_queue(void) {
  size_t done = 0;
  while (done < queue_len) {
    ssize_t n = write(1, queue + done, queue_len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) kill_all_and_exit(); /* the runner is gone */
    done += (size_t)n;
  }
  memmove(queue, queue + done, queue_len - done);
  queue_len -= done;
}

/* O_NONBLOCK in this loop (it must never wait on a file); 0 in a child, which may. */
static int write_file(const char *dir, const char *name, const char *text, int nonblock) {
  char file[PATH_MAX];
  if (snprintf(file, sizeof file, "%s/%s", dir, name) >= (int)sizeof file) return -1;
  int fd = open(file, O_WRONLY | O_CLOEXEC | nonblock);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n < 0 ? -1 : 0;
}

/* SIGKILLs every member of a group; returns how many there were. */
static int kill_members(const char *dir) {
  char file[PATH_MAX], buffer[4096];
  if (snprintf(file, sizeof file, "%s/cgroup.procs", dir) >= (int)sizeof file) return 0;
  /* Never blocks this loop, whatever the file turns out to be. */
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  int count = 0;
  ssize_t n;
  size_t kept = 0;
  while ((n = read(fd, buffer + kept, sizeof buffer - 1 - kept)) > 0) {
    kept += (size_t)n;
    buffer[kept] = '\0';
    char *line = buffer, *newline;
    while ((newline = strchr(line, '\n')) != NULL) {
      *newline = '\0';
      long pid = strtol(line, NULL, 10);
      if (pid > 0) {
        kill((pid_t)pid, SIGKILL);
        count++;
      }
      line = newline + 1;
    }
    kept = strlen(line);
    memmove(buffer, line, kept);
  }
  close(fd);
  return count;
}

static int group_empty(const char *dir) {
  char file[PATH_MAX], c;
  if (snprintf(file, sizeof file, "%s/cgroup.procs", dir) >= (int)sizeof file) return 1;
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 1;
  ssize_t n = read(fd, &c, 1);
  close(fd);
  return n <= 0;
}

/* As containmentGroup.ts's killGroup: frozen first, so that nothing in it can fork meanwhile. */
static void kill_freezer(const char *dir) {
  for (int round = 0; round < FREEZE_ROUNDS && !group_empty(dir); round++) {
    int frozen = write_file(dir, "freezer.state", "FROZEN", O_NONBLOCK) == 0;
    for (int wait = 0; frozen && wait < FREEZE_WAIT; wait++) {
      char file[PATH_MAX], state[16] = "";
      snprintf(file, sizeof file, "%s/freezer.state", dir);
      int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0) break;
      ssize_t n = read(fd, state, sizeof state - 1);
      close(fd);
      if (n <= 0 || strncmp(state, "FREEZING", 8) != 0) break;
    }
    int killed = kill_members(dir);
    if (frozen) write_file(dir, "freezer.state", "THAWED", O_NONBLOCK);
    if (killed == 0) return;
  }
}

/* Everything of the run: its process group (the child's session), then its groups' members. */
static void kill_run(struct run *r) {
  if (r->pid > 0) kill(-r->pid, SIGKILL);
  if (r->pid > 0 && r->state == PARKED) kill(r->pid, SIGKILL);
  if (r->freezer != NULL && r->freezer[0] != '\0') kill_freezer(r->freezer);
  for (int i = 0; i < r->ngroups; i++)
    for (int round = 0; round < FREEZE_ROUNDS && kill_members(r->groups[i]) > 0; round++) continue;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void release(struct run *r) {
  close_fd(&r->pidfd);
  close_fd(&r->status_fd);
  close_fd(&r->out_fd);
  close_fd(&r->err_fd);
  close_fd(&r->rep_fd);
  free(r->freezer);
  for (int i = 0; i < r->ngroups; i++) free(r->groups[i]);
  free(r->groups);
  *r = (struct run){.state = FREE, .pidfd = -1, .status_fd = -1, .out_fd = -1, .err_fd = -1, .rep_fd = -1};
}

static void finish(struct run *r) {
  char line[200 + REPORT_MAX];
  int n = snprintf(line, sizeof line, "%lld %lld %d %lld %lld %ld %d %s %d\n", r->start, r->end, r->wait_status,
                   (long long)r->usage.ru_utime.tv_sec * 1000000LL + r->usage.ru_utime.tv_usec,
                   (long long)r->usage.ru_stime.tv_sec * 1000000LL + r->usage.ru_stime.tv_usec, r->usage.ru_maxrss,
                   r->timed_out, r->stage, r->error);
  memcpy(line + n, r->report, (size_t)r->report_len);
  reply('D', r->id, line, (size_t)n + (size_t)r->report_len);
  release(r);
}

/* The child's side, between fork and exec. Reports a failure as a stage byte and its errno. */
static void child_fail(int status_fd, char stage, int error) {
  char message[5] = {stage};
  memcpy(message + 1, &error, sizeof error);
  if (write(status_fd, message, sizeof message) < 0) _exit(126);
  _exit(stage == 's' ? 125 : 127);
}

static int move_high(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
  return high;
}

static void child(int status_fd, const char *cwd, const char *file, char **argv, char **envp, char **groups, int ngroups,
                  int out_fd, int err_fd, int rep_fd, pid_t parent, int no_new_privs, int probe) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_DFL);
  /*
   * A process group of its own, in the spawner's session: not a session per run. With the
   * scheduler's autogroups (sched_autogroup_enabled, the default), each new session is a new
   * scheduling group that starts behind the others: a setsid() here made unshare's and
   * bubblewrap's `true` 20-67 % slower on a loaded 2-core machine (40 interleaved runs each).
   */
  if (setpgid(0, 0) < 0) child_fail(status_fd, 's', errno);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(status_fd, 's', errno);
  if (getppid() != parent) _exit(127);
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(status_fd, 's', errno);
  if (chdir(cwd) != 0) child_fail(status_fd, 's', errno);
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) child_fail(status_fd, 's', errno);
  /* Every descriptor above the ones the command gets first, so that no dup2 below lands on itself. */
  int fds[5] = {move_high(in), move_high(out_fd), move_high(err_fd), rep_fd >= 0 ? move_high(rep_fd) : -1,
                move_high(status_fd)};
  for (int i = 0; i < 5; i++)
    if (fds[i] < 0 && !(i == 3 && rep_fd < 0)) child_fail(status_fd, 's', errno);
  status_fd = fds[4];
  int keep = rep_fd >= 0 ? 4 : 3;
  for (int target = 0; target < 4; target++) {
    if (fds[target] < 0) continue;
    if (dup2(fds[target], target) < 0) child_fail(status_fd, 's', errno);
  }
  if (dup3(status_fd, keep, O_CLOEXEC) < 0) child_fail(status_fd, 's', errno);
  status_fd = keep;
  if (syscall(SYS_close_range, keep + 1, ~0U, 0) != 0)
    for (int fd = keep + 1; fd < 1024; fd++) close(fd);
  for (int i = 0; i < ngroups; i++)
    if (write_file(groups[i], "cgroup.procs", "0", 0) != 0) child_fail(status_fd, 's', errno);
  char go = 'R';
  if (write(status_fd, &go, 1) != 1) _exit(127);
  if (read(status_fd, &go, 1) != 1) _exit(127);
  if (probe) _exit(0);
  execve(file, argv, envp);
  if (errno == ENOEXEC) execvpe(file, argv, envp); /* a script without #!: /bin/sh, as execvp does */
  child_fail(status_fd, 'x', errno);
}

/* NUL-terminated fields of a request. */
struct fields {
  char *at, *end;
};

static char *field(struct fields *f) {
  if (f->at >= f->end) return NULL;
  char *value = f->at;
  char *nul = memchr(f->at, '\0', (size_t)(f->end - f->at));
  if (nul == NULL) return NULL;
  f->at = nul + 1;
  return value;
}

static long number_field(struct fields *f, long max) {
  char *text = field(f), *end;
  if (text == NULL || *text == '\0') return -1;
  errno = 0;
  long value = strtol(text, &end, 10);
  return *end != '\0' || errno != 0 || value < 0 || value > max ? -1 : value;
}

static char **list_field(struct fields *f, int *count) {
  long n = number_field(f, 1 << 20);
  if (n < 0) return NULL;
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return NULL;
  for (long i = 0; i < n; i++)
    if ((list[i] = field(f)) == NULL) {
      free(list);
      return NULL;
    }
  *count = (int)n;
  return list;
}

static struct run *find(uint32_t id) {
  for (int i = 0; i < MAX_RUNS; i++)
    if (runs[i].state != FREE && runs[i].id == id) return &runs[i];
  return NULL;
}

static void setup_failed(uint32_t id, int error) {
  struct run r = {.state = FREE, .id = id, .stage = "setup", .error = error, .pidfd = -1, .status_fd = -1, .out_fd = -1,
                  .err_fd = -1, .rep_fd = -1};
  finish(&r);
}

static void start_run(struct fields *f) {
  long id = number_field(f, UINT32_MAX), timeout = number_field(f, INT_MAX);
  char *flags = field(f), *cwd = field(f), *file = field(f);
  int argc = 0, envc = 0, ngroups = 0;
  char **argv = list_field(f, &argc);
  char **envp = argv ? list_field(f, &envc) : NULL;
  char **groups = envp ? list_field(f, &ngroups) : NULL;
  char *freezer = groups ? field(f) : NULL;
  if (id < 0 || timeout < 0 || flags == NULL || cwd == NULL || file == NULL || freezer == NULL || argc < 1) {
    fprintf(stderr, "sandbox-perf-spawner: a malformed run request was ignored\n");
    if (id >= 0) setup_failed((uint32_t)id, EINVAL);
    free(argv);
    free(envp);
    free(groups);
    return;
  }
  struct run *r = NULL;
  for (int i = 0; i < MAX_RUNS && r == NULL; i++)
    if (runs[i].state == FREE) r = &runs[i];
  int out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1}, status[2] = {-1, -1};
  int wants_report = strchr(flags, 'r') != NULL;
  int error = r == NULL ? EAGAIN : 0;
  if (error == 0 && (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || (wants_report && pipe2(rep, O_CLOEXEC) != 0) ||
                     socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, status) != 0))
    error = errno;
  pid_t pid = -1;
  if (error == 0) {
    pid = fork();
    if (pid < 0) error = errno;
  }
  if (pid == 0) {
    close(status[0]);
    child(status[1], cwd, file, argv, envp, groups, ngroups, out[1], err[1], rep[1], getppid(), strchr(flags, 'n') != NULL,
          strchr(flags, 'p') != NULL);
  }
  int ends[4] = {out[1], err[1], rep[1], status[1]};
  for (int i = 0; i < 4; i++) close_fd(&ends[i]);
  if (error != 0) {
    int starts[4] = {out[0], err[0], rep[0], status[0]};
    for (int i = 0; i < 4; i++) close_fd(&starts[i]);
    free(argv);
    free(envp);
    free(groups);
    setup_failed((uint32_t)id, error);
    return;
  }
  memset(r, 0, sizeof *r);
  r->state = PARKED;
  r->id = (uint32_t)id;
  r->pid = pid;
  r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (r->pidfd < 0) {
    /* Cannot be waited for without blocking the others: not started at all. */
    int saved = errno, ignored;
    kill(pid, SIGKILL);
    while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) continue;
    int starts[4] = {out[0], err[0], rep[0], status[0]};
    for (int i = 0; i < 4; i++) close_fd(&starts[i]);
    free(argv);
    free(envp);
    free(groups);
    setup_failed((uint32_t)id, saved);
    r->state = FREE;
    return;
  }
  fcntl(r->pidfd, F_SETFD, FD_CLOEXEC);
  r->status_fd = status[0];
  r->out_fd = out[0];
  r->err_fd = err[0];
  r->rep_fd = rep[0];
  r->timeout_ms = (int)timeout;
  r->probe = strchr(flags, 'p') != NULL;
  r->stage = "-";
  r->freezer = strdup(freezer);
  r->groups = calloc((size_t)ngroups + 1, sizeof *r->groups);
  for (int i = 0; i < ngroups && r->groups != NULL; i++) r->groups[i] = strdup(groups[i]);
  r->ngroups = r->groups == NULL ? 0 : ngroups;
  free(argv);
  free(envp);
  free(groups);
}

static void handle_request(char *payload, size_t length) {
  struct fields f = {payload, payload + length};
  char *op = field(&f);
  if (op != NULL && strcmp(op, "run") == 0) {
    start_run(&f);
  } else if (op != NULL && strcmp(op, "kill") == 0) {
    long id = number_field(&f, UINT32_MAX);
    struct run *r = id < 0 ? NULL : find((uint32_t)id);
    if (r != NULL) kill_run(r);
  } else {
    fprintf(stderr, "sandbox-perf-spawner: an unknown request was ignored\n");
  }
}

static char *input;
static size_t input_len, input_size;

static void read_requests(void) {
  if (input_size - input_len < CHUNK) {
    input_size = input_size ? input_size * 2 : CHUNK * 2;
    if (input_size > 2 * (size_t)MAX_REQUEST + CHUNK) die("request too large");
    input = realloc(input, input_size);
    if (input == NULL) die("out of memory for requests");
  }
  ssize_t n = read(0, input + input_len, input_size - input_len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    input_open = 0;
    return;
  }
  input_len += (size_t)n;
  size_t used = 0;
  while (input_len - used >= 4) {
    unsigned char *at = (unsigned char *)input + used;
    uint32_t length = (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
    if (length > MAX_REQUEST) die("request too large");
    if (input_len - used - 4 < length) break;
    handle_request(input + used + 4, length);
    used += 4 + length;
  }
  memmove(input, input + used, input_len - used);
  input_len -= used;
}

/* Reads a command's pipe: a chunk to the runner, or end of file. */
static void relay(struct run *r, int *fd, char kind) {
  char buffer[CHUNK];
  ssize_t n = read(*fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close_fd(fd);
    return;
  }
  reply(kind, r->id, buffer, (size_t)n);
}

static void read_report(struct run *r) {
  char buffer[REPORT_MAX];
  ssize_t n = read(r->rep_fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close_fd(&r->rep_fd);
    return;
  }
  size_t room = REPORT_MAX - (size_t)r->report_len;
  memcpy(r->report + r->report_len, buffer, (size_t)n < room ? (size_t)n : room);
  r->report_len += (int)((size_t)n < room ? (size_t)n : room);
}

/* The parked child's word: ready (start the clock and let it exec), or what failed. */
static void read_status(struct run *r) {
  char message[5];
  ssize_t n = read(r->status_fd, message, sizeof message);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r->state == PARKED && n == 1 && message[0] == 'R') {
    char go = 'G';
    r->start = now_ns();
    if (write(r->status_fd, &go, 1) != 1) r->error = errno;
    if (r->timeout_ms > 0) r->deadline = r->start + (long long)r->timeout_ms * 1000000LL;
    /* Nothing is sent to the runner now: it stays asleep while the command starts. */
    r->state = RUNNING;
    return;
  }
  if (n == 5 && (message[0] == 's' || message[0] == 'x')) {
    r->stage = message[0] == 's' ? "setup" : "exec";
    memcpy(&r->error, message + 1, sizeof r->error);
  }
  close_fd(&r->status_fd);
}

static void reap(struct run *r) {
  int status;
  pid_t got = wait4(r->pid, &status, WNOHANG, &r->usage);
  long long end = now_ns();
  if (got != r->pid) return;
  r->wait_status = status;
  if (r->state == RUNNING) {
    r->end = end;
  } else {
    /* Died parked (killed, or a failed set-up): nothing was timed. */
    r->start = r->end = 0;
    if (strcmp(r->stage, "-") == 0) r->stage = "setup";
  }
  close_fd(&r->pidfd);
  /* A status message written just before the exit is read now, not lost. */
  if (r->status_fd >= 0) {
    fcntl(r->status_fd, F_SETFL, O_NONBLOCK);
    read_status(r);
    close_fd(&r->status_fd);
  }
  r->state = DRAINING;
  kill_run(r);
  r->pid = -r->pid; /* reaped: its pid may be recycled, so no further signal goes to it */
  r->drain_deadline = now_ns() + DRAIN_GRACE_NS;
}

static void kill_all_and_exit(void) {
  for (int i = 0; i < MAX_RUNS; i++)
    if (runs[i].state != FREE) {
      if (runs[i].pid < 0) runs[i].pid = -runs[i].pid;
      kill_run(&runs[i]);
    }
  exit(0);
}

int main(void) {
  /*
   * A session of its own, without a controlling terminal: no run can reach the caller's terminal
   * (/dev/tty, TIOCSTI), and the terminal's ^C goes to the runner, which asks for the kills.
   */
  setsid();
  /* Nothing of the runner's but the three streams (a descriptor it leaked would stay open here). */
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
    for (int fd = 3; fd < 1024; fd++) close(fd);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  for (int i = 0; i < MAX_RUNS; i++) runs[i] = (struct run){.state = FREE, .pidfd = -1, .status_fd = -1, .out_fd = -1, .err_fd = -1, .rep_fd = -1};
  int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (self < 0) die("pidfd_open (Linux 5.3 or later is needed)");
  close(self);
  reply('H', 0, NULL, 0);
  static struct pollfd polls[1 + 1 + MAX_RUNS * 5];
  static struct {
    struct run *run;
    int which;
  } owner[1 + 1 + MAX_RUNS * 5];
  for (;;) {
    int n = 0, timeout = -1;
    long long now = now_ns();
    if (input_open) polls[n++] = (struct pollfd){0, POLLIN, 0};
    else kill_all_and_exit();
    int out_slot = -1;
    if (queue_len > 0) {
      out_slot = n;
      polls[n++] = (struct pollfd){1, POLLOUT, 0};
    }
    int reading = queue_len < QUEUE_CAP;
    for (int i = 0; i < MAX_RUNS; i++) {
      struct run *r = &runs[i];
      if (r->state == FREE) continue;
      /*
       * The launcher's report is read after the reap, not as it arrives: it comes at the end of the
       * window, while the sandbox ends, and reading it then woke this process inside the window,
       * which hyperfine's run of the printed line (the report to standard error, /dev/null) does
       * not. The line (at most REPORT_MAX bytes) waits in the pipe; nothing else writes there.
       */
      int report = r->state == RUNNING ? -1 : r->rep_fd;
      int fds[5] = {r->status_fd, r->pidfd, reading ? r->out_fd : -1, reading ? r->err_fd : -1, report};
      for (int k = 0; k < 5; k++) {
        if (fds[k] < 0) continue;
        owner[n].run = r;
        owner[n].which = k;
        polls[n++] = (struct pollfd){fds[k], POLLIN, 0};
      }
      long long due = r->state == RUNNING && r->deadline > 0 ? r->deadline : r->state == DRAINING ? r->drain_deadline : 0;
      if (due > 0) {
        long long ms = due > now ? (due - now + 999999) / 1000000 : 0;
        if (timeout < 0 || ms < timeout) timeout = (int)ms;
      }
    }
    if (poll(polls, (nfds_t)n, timeout) < 0 && errno != EINTR) die("poll");
    for (int p = 0; p < n; p++) {
      if (polls[p].revents == 0) continue;
      if (polls[p].fd == 0 && p == 0 && input_open) {
        read_requests();
        continue;
      }
      if (p == out_slot) continue;
      struct run *r = owner[p].run;
      if (r->state == FREE) continue;
      switch (owner[p].which) {
        case 0: if (r->status_fd >= 0) read_status(r); break;
        case 1: if (r->pidfd >= 0) reap(r); break;
        case 2: if (r->out_fd >= 0) relay(r, &r->out_fd, 'O'); break;
        case 3: if (r->err_fd >= 0) relay(r, &r->err_fd, 'E'); break;
        case 4: if (r->rep_fd >= 0) read_report(r); break;
      }
    }
    now = now_ns();
    for (int i = 0; i < MAX_RUNS; i++) {
      struct run *r = &runs[i];
      if (r->state == RUNNING && r->deadline > 0 && now >= r->deadline && !r->timed_out) {
        r->timed_out = 1;
        kill_run(r);
      }
      if (r->state == DRAINING && (now >= r->drain_deadline || (r->out_fd < 0 && r->err_fd < 0 && r->rep_fd < 0))) finish(r);
    }
    if (queue_len > 0) flush_queue();
  }
}
