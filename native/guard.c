/*
 * sandbox-perf guard: keeps the host's Unix sockets out of a sandboxed command's reach (issue 23).
 *
 *   sandbox-perf-guard PROGRAM [ARGS...]   installs the filter, then execs PROGRAM (PATH lookup)
 *   sandbox-perf-guard --connect SOCKET PROGRAM [ARGS...]
 *                                          the same, PROGRAM getting on descriptor 3 a stream
 *                                          connected to SOCKET before the filter closed that door
 *   sandbox-perf-guard --init              installs the filter and stays as a container's init
 *
 * A working directory bound into a sandbox can hold a host socket (a Docker engine's, a database's,
 * a desktop bus), and a socket created there after the run started is reachable as well. connect()
 * to a pathname socket needs only write permission on its inode: a sandbox user mapped to the
 * caller's uid passes it on the caller's sockets, and any user passes it on a 0666 one. Landlock
 * can refuse that lookup only from ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX, Linux 7.1); no mount
 * option stops it. So the command gets no way to make a Unix socket that could connect anywhere:
 *
 *   socket(AF_UNIX, ...)                  EACCES (stream, datagram, seqpacket: pathname and abstract)
 *   socketpair(AF_UNIX, SOCK_DGRAM, ...)  EACCES (a datagram socket of a pair can still connect()
 *                                         to, or sendto(), a pathname datagram socket)
 *   socketpair(AF_UNIX, SOCK_STREAM|SOCK_SEQPACKET, ...)  allowed: already connected, connect()
 *                                         fails with EISCONN (Node's child stdio are such pairs)
 *   io_uring_setup                        ENOSYS (its socket and connect operations bypass seccomp)
 *   x32 system calls                      ENOSYS; another ABI (i386's int 0x80): the process is
 *                                         killed (socketcall() hides its arguments from a filter)
 *
 * The filter is the kernel's (seccomp), inherited by every descendant and kept across execve, so no
 * check can be raced: whatever appears in the bound directories later stays out of reach. Nothing
 * inspects paths; socket families other than AF_UNIX (the network, when the sandbox has one) are
 * untouched.
 *
 * With --init (a docker-warm container's PID 1) it stays as the reaper of the container's orphans,
 * non-dumpable: the commands exec'd into the container run as the same user, and an init they could
 * ptrace or write through /proc/1/mem would be a process outside the filter. With --connect (a
 * docker-pool container's agent, its PID 1) the one socket the agent needs, its channel to the host,
 * is connected first, so that the agent, and everything it starts, runs under the filter too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define GUARD_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define GUARD_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox-perf-guard has no seccomp filter for this architecture"
#endif

#define ARG(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define LOAD(at) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (at))
#define JUMP_EQ(k, yes, no) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (yes), (no))
#define RETURN(v) BPF_STMT(BPF_RET | BPF_K, (v))

/* Jump offsets count instructions after the jump; the numbers on the left make them checkable. */
static struct sock_filter filter[] = {
    /*  0 */ LOAD(offsetof(struct seccomp_data, arch)),
    /*  1 */ JUMP_EQ(GUARD_ARCH, 1, 0),
    /*  2 */ RETURN(SECCOMP_RET_KILL_PROCESS),
    /*  3 */ LOAD(offsetof(struct seccomp_data, nr)),
    /*  4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 12, 0), /* x32 system calls: 17 */
    /*  5 */ JUMP_EQ(__NR_io_uring_setup, 11, 0),                   /* 17 */
    /*  6 */ JUMP_EQ(__NR_socket, 0, 2),                            /* 7, else 9 */
    /*  7 */ LOAD(ARG(0)),
    /*  8 */ JUMP_EQ(AF_UNIX, 7, 6), /* 16, else 15 */
    /*  9 */ JUMP_EQ(__NR_socketpair, 0, 5), /* 10, else 15 */
    /* 10 */ LOAD(ARG(0)),
    /* 11 */ JUMP_EQ(AF_UNIX, 0, 3), /* 12, else 15 */
    /* 12 */ LOAD(ARG(1)),
    /* 13 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf), /* the type without SOCK_CLOEXEC/SOCK_NONBLOCK */
    /* 14 */ JUMP_EQ(SOCK_DGRAM, 1, 0),                 /* 16, else 15 */
    /* 15 */ RETURN(SECCOMP_RET_ALLOW),
    /* 16 */ RETURN(SECCOMP_RET_ERRNO | EACCES),
    /* 17 */ RETURN(SECCOMP_RET_ERRNO | ENOSYS),
};

/* PID 1 of a container: reap every orphan, forever. SIGCHLD is blocked and waited for. */
static int reap_forever(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) continue;
    sigwaitinfo(&set, NULL);
  }
}

/* A stream connected to the Unix socket at `path`, on descriptor 3 (inherited across exec), or -1. */
static int connect_on_fd3(const char *path) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(address.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 || (fd != 3 && dup2(fd, 3) != 3)) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  if (fd != 3) close(fd);
  return 3;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "--connect") == 0) {
    if (connect_on_fd3(argv[2]) < 0) {
      fprintf(stderr, "sandbox-perf-guard: cannot connect to %s: %s\n", argv[2], strerror(errno));
      return 126;
    }
    argv += 2;
    argc -= 2;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: sandbox-perf-guard [--connect SOCKET] PROGRAM [ARGS...] | --init\n");
    return 127;
  }
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    fprintf(stderr, "sandbox-perf-guard: cannot install the filter that keeps host Unix sockets out of reach: %s\n",
            strerror(errno));
    return 126;
  }
  if (strcmp(argv[1], "--init") == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return reap_forever();
  }
  execvp(argv[1], argv + 1);
  int error = errno;
  fprintf(stderr, "sandbox-perf-guard: %s: %s\n", argv[1], strerror(error));
  return error == ENOENT ? 127 : 126;
}
