/*
 * sandbox-perf crunv1: runs crun on a hybrid cgroup host as on a cgroup v1 one (issue 25).
 *
 *   sandbox-perf-crunv1 PROGRAM [ARGS...]
 *
 * runc-pool starts its containers with crun when it is installed: a fresh container costs about
 * a third of runc's CPU (no Go start, no copy of an 8.7 MB binary into a memfd per start). But
 * crun 1.8 refuses a hybrid host (cgroup v1 controllers under /sys/fs/cgroup, a cgroup2 tree at
 * /sys/fs/cgroup/unified) as soon as that tree holds any controller ("cgroups in hybrid mode not
 * supported, drop all controllers from cgroupv2"; here it holds hugetlb, which no v1 hierarchy
 * has). Such a host's limits are all in its v1 hierarchies, so this program gives PROGRAM a mount
 * namespace of its own, a slave of the host's (the host's unmounts reach it, its own do not
 * leave it), where the cgroup2 tree is unmounted: crun then finds cgroup v1
 * only and makes the container's groups (sandbox-perf/<id>, every v1 hierarchy) and sets its
 * limits there, as runc does. Nothing changes for the rest of the host: the namespace is gone
 * when PROGRAM and the container it made have exited. On a host without that tree (all v1, or
 * all v2) PROGRAM runs unchanged, in its own mount namespace.
 *
 * Needs CAP_SYS_ADMIN (runc-pool runs as root). Exits 125 when the namespace cannot be made,
 * 127 when PROGRAM cannot be run, with the reason on stderr (which runc-pool quotes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char UNIFIED[] = "/sys/fs/cgroup/unified";

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sandbox-perf-crunv1 PROGRAM [ARGS...]\n");
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0) {
    fprintf(stderr, "sandbox-perf-crunv1: unshare(CLONE_NEWNS): %s\n", strerror(errno));
    return 125;
  }
  /*
   * Slave first: the unmount below must not reach the host's namespace, and the host's unmounts
   * must reach this one. crun stays attached for the container's life (a pooled sandbox waits
   * for its run as long as it must): a private copy of the host's mounts would keep every file
   * system mounted when the sandbox started (another sandbox's layer, a disk the host unmounts)
   * alive until then.
   */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
    fprintf(stderr, "sandbox-perf-crunv1: making / a slave: %s\n", strerror(errno));
    return 125;
  }
  /* EINVAL: not a mount point; ENOENT: no such directory. Either way no cgroup2 tree is there. */
  if (umount2(UNIFIED, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    fprintf(stderr, "sandbox-perf-crunv1: unmounting %s: %s\n", UNIFIED, strerror(errno));
    return 125;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "sandbox-perf-crunv1: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
