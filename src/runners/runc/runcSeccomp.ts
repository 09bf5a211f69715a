/**
 * runc-pool's seccomp profile: every system call allowed but those below, which fail with EPERM
 * (ENOSYS for clone3, so that the C library falls back to clone, whose flags can be checked).
 * Docker's default profile is an allow-list of about 350 calls; this keeps what it refuses a
 * container without CAP_SYS_ADMIN that matters for the guarantees, without a copy of that list:
 * - the kernel's keyrings (add_key, keyctl, request_key): they are not namespaced, so a key a run
 *   added to its user's keyring (`@u`, shared by every process of uid 65534 on the host) would be
 *   there for the next run (docs/runners.md, "State a run can leave behind");
 * - new namespaces (unshare, setns, clone or clone3 with a CLONE_NEW* flag): an unprivileged user
 *   namespace would give the command every capability inside it;
 * - mounts, modules, kexec, reboot, swap, clock, accounting, quota, BPF, perf, userfaultfd, handles.
 * The capabilities kept (agentSpec.ts: SETUID, SETGID, KILL) already refuse most of them; the
 * socket guard's own filter (host/guard.ts) comes on top, in the agent's and every command's process.
 */
const DENIED = [
  'acct',
  'add_key',
  'bpf',
  'clock_adjtime',
  'clock_settime',
  'create_module',
  'delete_module',
  'finit_module',
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'get_kernel_syms',
  'init_module',
  'ioperm',
  'iopl',
  'kcmp',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'lookup_dcookie',
  'mount',
  'mount_setattr',
  'move_mount',
  'name_to_handle_at',
  'nfsservctl',
  'open_by_handle_at',
  'open_tree',
  'perf_event_open',
  'pivot_root',
  'query_module',
  'quotactl',
  'reboot',
  'request_key',
  'setns',
  'settimeofday',
  'stime',
  'swapoff',
  'swapon',
  'syslog',
  'umount',
  'umount2',
  'unshare',
  'uselib',
  'userfaultfd',
  'ustat',
  'vhangup',
];

/** CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME. */
const CLONE_NEW_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080];
const EPERM = 1;
const ENOSYS = 38;

/** The profile, in the OCI runtime spec's `linux.seccomp` form. */
export function runcSeccomp(): object {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [
      { names: DENIED, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      // clone's flags are its first argument on x86-64 and arm64: any CLONE_NEW* bit refuses it
      // (one rule per bit: a rule's conditions are all required, rules are alternatives).
      ...CLONE_NEW_FLAGS.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
    ],
  };
}
