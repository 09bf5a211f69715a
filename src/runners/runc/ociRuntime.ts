import fs from 'node:fs';
import path from 'node:path';
import { expectation, ValidationError } from '../../validation';
import { nativeProgram } from '../../nativeProgram';

/**
 * The OCI runtime runc-pool starts its containers with: crun when it is installed, else runc.
 * Both run the same bundle (config.json, runcConfig.ts) with the same namespaces, mounts,
 * capabilities, seccomp profile and cgroup v1 limits; crun costs about a third of runc's CPU per
 * fresh container (C: no Go start, no copy of runc's 8.7 MB binary into a memfd per start), and a
 * pool's throughput is its refill rate, which is CPU-bound (docs/runners.md, runc-pool).
 * On a hybrid cgroup host crun 1.8 refuses to start anything while the cgroup2 tree at
 * /sys/fs/cgroup/unified holds a controller: there it runs under native/crunv1.c, which hides that
 * tree in a private mount namespace, so that crun manages the v1 groups as runc does; without that
 * program built (no C compiler) runc-pool uses runc.
 */
export type OciRuntimeName = 'crun' | 'runc';

export interface OciRuntime {
  name: OciRuntimeName;
  /** The runtime's program: a name on the PATH or a path. */
  binary: string;
  /** What every call runs: `prefix`, then `binary`, then `--root state` and the command's arguments. */
  prefix: readonly string[];
  /** The runtime's own state root (`--root`), one per runtime: neither reads the other's. */
  state: string;
  /** Why this one, for health(), the bench and the scripts. */
  why: string;
}

/** Where runc-pool keeps its containers' state and bundles (runcCli.ts). */
export const RUNC_HOME = '/run/sandbox-perf-runc';
const STATES: Record<OciRuntimeName, string> = { runc: path.join(RUNC_HOME, 'state'), crun: path.join(RUNC_HOME, 'crun') };
/** Every runtime's state root: where the sweep and the tests look for containers. */
export const RUNTIME_STATES: readonly string[] = Object.values(STATES);
export const RUNTIME_SETTING = 'SANDBOX_PERF_OCI_RUNTIME';

const CRUNV1 = nativeProgram('sandbox-perf-crunv1');

/**
 * `name` on the PATH (or `name` itself when it has a slash), if it is an executable file. Only
 * absolute PATH entries: a relative one (`.`, or empty) means the current directory, which can be
 * a sandbox's working directory, and what a run wrote there would be started as root.
 */
function onPath(name: string): string | null {
  const dirs = name.includes('/') ? [''] : (process.env.PATH ?? '').split(path.delimiter).filter((dir) => path.isAbsolute(dir));
  for (const dir of dirs) {
    const file = dir === '' ? name : path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return null;
}

/** True on a hybrid host: a cgroup2 tree mounted at /sys/fs/cgroup/unified beside the v1 hierarchies. */
function hybridHost(): boolean {
  return fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
}

function runcRuntime(why: string): OciRuntime {
  return { name: 'runc', binary: process.env.SANDBOX_PERF_RUNC || 'runc', prefix: [], state: STATES.runc, why };
}

/**
 * crun, or why not: it must be on the PATH (`SANDBOX_PERF_CRUN` names another), and on a hybrid
 * host the crunv1 program must be built.
 */
function crunRuntime(): OciRuntime | string {
  const binary = process.env.SANDBOX_PERF_CRUN || 'crun';
  const found = onPath(binary);
  if (found === null) return `no ${binary} on the PATH`;
  if (!hybridHost()) return { name: 'crun', binary: found, prefix: [], state: STATES.crun, why: found };
  if (onPath(CRUNV1) === null) return `${found} needs ${CRUNV1} on this hybrid cgroup host, and it was not built (no C compiler)`;
  return { name: 'crun', binary: found, prefix: [CRUNV1], state: STATES.crun, why: `${found}, cgroup v1 only (native/crunv1.c)` };
}

/**
 * The runtime a runc-pool opened now uses: `SANDBOX_PERF_OCI_RUNTIME` (`crun` or `runc`) when
 * set, else crun when it can run here, else runc. Read at each prepare, so that one process can
 * measure both. Throws when crun is asked for and cannot run, naming why.
 */
export function ociRuntime(): OciRuntime {
  const setting = process.env[RUNTIME_SETTING];
  if (setting === 'runc') return runcRuntime(`${RUNTIME_SETTING}=runc`);
  const crun = crunRuntime();
  if (setting === 'crun') {
    if (typeof crun === 'string') throw new Error(`${RUNTIME_SETTING}=crun, but ${crun}`); // checkRunc names the backend
    return crun;
  }
  if (setting !== undefined && setting !== '')
    throw new ValidationError(expectation(RUNTIME_SETTING, '`crun`, `runc` or unset (crun when it can run here, else runc)', setting));
  return typeof crun === 'string' ? runcRuntime(`crun not used: ${crun}`) : crun;
}

/** The runtime whose state root holds container `id`, or null when none does. */
export function runtimeHolding(id: string): OciRuntimeName | null {
  for (const name of ['crun', 'runc'] as const) if (fs.existsSync(path.join(STATES[name], id))) return name;
  return null;
}

/** The runtime `name` as runc-pool calls it (for the sweep: a container is removed by the runtime that made it). */
export function runtimeNamed(name: OciRuntimeName): OciRuntime {
  if (name === 'runc') return runcRuntime('made by runc');
  const crun = crunRuntime();
  // A crun container whose crun cannot run any more is still handed to `crun`: the call fails and the sweep says so.
  return typeof crun === 'string' ? { name: 'crun', binary: 'crun', prefix: [], state: STATES.crun, why: crun } : crun;
}
