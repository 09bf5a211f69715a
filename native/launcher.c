/*
 * sandbox-perf launcher: the timer next to the command (issue 14).
 *
 *   sandbox-perf-launcher FD PROGRAM [ARGS...]
 *   sandbox-perf-launcher stderr PROGRAM [ARGS...]
 *
 * Starts PROGRAM (looked up on PATH) with vfork and execvp, waits for it with wait4 and writes one
 * line to file descriptor FD, then closes it:
 *
 *   sandbox-perf-launcher 1 <start ns> <end ns> <wait status> <user us> <system us> <max rss KiB>
 *   sandbox-perf-launcher 1 spawn-error <errno>
 *
 * Times are CLOCK_MONOTONIC, read just before the spawn and just after the reap: the command's own
 * wall time, without the runner's fork of a large process, pipe EOF or sandbox set-up and teardown.
 * Resource usage is the command's (and its reaped descendants'), which wait4 on the outer process
 * cannot see when a sandbox tool sits in between.
 *
 * With `stderr` (for sandboxes that pass no other descriptor in, such as gVisor's `runsc do`), the
 * line is the last thing written to standard error, after the command has been reaped, and a newline
 * goes before it: the command's standard error need not end in one (a progress bar, `printf`), and
 * the report must start a line of its own to be found. The reader strips that newline with the line,
 * so the command's own output is passed on byte for byte.
 *
 *   sandbox-perf-launcher stderr-key PROGRAM [ARGS...]
 *
 * As `stderr`, but first reads one line from standard input: a key of 32 lowercase hex digits the
 * runner writes there and nowhere else (docker-warm's exec). The command gets /dev/null as its
 * standard input, and the launcher (not dumpable) ends its report line with the key: a line that
 * a process the command left behind writes to the standard error they share cannot carry it.
 *
 * Then it ends the way the command ended: the same exit code, or the same signal.
 *
 * The command gets SIGKILL when the launcher dies (a parent-death signal set between vfork and exec,
 * which posix_spawn cannot do): with the launcher itself started under a parent-death signal, the
 * command dies with the runner without a second exec (setpriv) inside the timed interval.
 *
 * The command is an attacker: FD is close-on-exec, so the command does not inherit it, and the
 * launcher makes itself non-dumpable, so that a command running as the same user cannot reopen it
 * through /proc/<pid>/fd. The reader still treats the line as untrusted input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long usec(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

/*
 * The key: 32 lowercase hex digits and a newline, read one byte at a time (nothing past the newline
 * is consumed), within 10 s; then standard input becomes /dev/null, so the command cannot read what
 * the runner wrote. `key` gets " " and the digits, for the end of the report line.
 */
static int read_key(char key[34]) {
  key[0] = ' ';
  for (int i = 0; i < 33; i++) {
    struct pollfd in = {0, POLLIN, 0};
    char c;
    if (poll(&in, 1, 10000) != 1 || read(0, &c, 1) != 1) return -1;
    if (i == 32) {
      if (c != '\n') return -1;
      break;
    }
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return -1;
    key[i + 1] = c;
  }
  key[33] = '\0';
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) != 0) return -1;
  close(null);
  return 0;
}

static void report(int fd, const char *line, int length) {
  while (length > 0) {
    ssize_t n = write(fd, line, (size_t)length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line += n;
    length -= (int)n;
  }
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sandbox-perf-launcher FD|stderr|stderr-key PROGRAM [ARGS...]\n");
    return 127;
  }
  char *end;
  long fd = 2;
  int keyed = strcmp(argv[1], "stderr-key") == 0;
  if (strcmp(argv[1], "stderr") != 0 && !keyed) {
    fd = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || fd < 3 || fd > 1023 || fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0) {
      fprintf(stderr, "sandbox-perf-launcher: expected an open file descriptor >= 3, `stderr` or `stderr-key`, got %s\n", argv[1]);
      return 127;
    }
  }
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  char key[34] = "";
  if (keyed && read_key(key) != 0) {
    fprintf(stderr, "sandbox-perf-launcher: expected a key of 32 hex digits and a newline on standard input\n");
    return 127;
  }
  /*
   * As a PID namespace's init (unshare execs the launcher as PID 1), die with the process outside
   * that started the namespace: the parent-death signal util-linux's --kill-child set on the
   * namespace's first process did not always survive the exec chain in front of the launcher (a run
   * SIGKILLed mid-start was left running). PID 1's death takes the whole namespace with it.
   */
  if (getpid() == 1) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /*
   * The runner holds the other end of the report descriptor. If it is closed already, the runner
   * died while the sandbox was being set up (util-linux's --kill-child arms its signal only after
   * the fork, a window a SIGKILLed runner can fall into): the command is not started at all.
   */
  if (fd != 2) {
    struct pollfd peer = {(int)fd, 0, 0};
    if (poll(&peer, 1, 0) == 1 && (peer.revents & (POLLHUP | POLLERR)) != 0) {
      fprintf(stderr, "sandbox-perf-launcher: the runner is gone; not starting %s\n", argv[2]);
      return 127;
    }
  }

  char line[200];
  /* On standard error, which the command shares, the report starts on a line of its own. */
  const char *before = fd == 2 ? "\n" : "";
  pid_t parent = getpid();
  /* Written by the vforked child (it shares this memory until it execs or exits). */
  volatile int error = 0;
  long long start = now_ns();
  pid_t pid = vfork();
  if (pid == 0) {
    /* Between vfork and exec: system calls only. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent) {
      error = errno != 0 ? errno : ESRCH;
      _exit(127);
    }
    execvp(argv[2], argv + 2);
    error = errno;
    _exit(127);
  }
  if (pid < 0) error = errno;
  if (error != 0) {
    if (pid > 0) {
      int ignored;
      while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) continue;
    }
    report((int)fd, line, snprintf(line, sizeof line, "%ssandbox-perf-launcher 1 spawn-error %d%s\n", before, error, key));
    fprintf(stderr, "sandbox-perf-launcher: %s: %s\n", argv[2], strerror(error));
    return 127;
  }
  int status = 0;
  struct rusage usage;
  pid_t reaped;
  do reaped = wait4(pid, &status, 0, &usage);
  while (reaped < 0 && errno == EINTR);
  long long stop = now_ns();
  if (reaped != pid) {
    report((int)fd, line, snprintf(line, sizeof line, "%ssandbox-perf-launcher 1 wait-error %d\n", before, errno));
    return 127;
  }
  /*
   * As the first process of its own PID namespace (gVisor's `runsc do`: the shell before it execs
   * it), everything the command left behind goes before the report: a process left writing
   * well-formed lines to the standard error they share landed after the launcher's line and set its
   * own times (hostile trial 2026-12-07). kill(-1) from PID 1 reaches every other process of the
   * namespace, and none outside it; elsewhere it would reach the user's own, so only there.
   */
  if (getpid() == 1) {
    kill(-1, SIGKILL);
    for (;;) {
      pid_t gone = wait(NULL);
      if (gone < 0 && errno == EINTR) continue;
      if (gone < 0) break;
    }
  }
  report((int)fd, line,
         snprintf(line, sizeof line, "%ssandbox-perf-launcher 1 %lld %lld %d %lld %lld %ld%s\n", before, start, stop, status,
                  usec(usage.ru_utime), usec(usage.ru_stime), usage.ru_maxrss, key));

  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    /* No core file of the launcher for the command's crash; the same signal for whoever waits. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
  }
  return 127;
}
