import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killMembers, removeGroup } from '../host/cgroupV1';
import { RUNC_HOME, RUNTIME_STATES, type OciRuntime } from './ociRuntime';

/**
 * The OCI runtime (crun or runc: ociRuntime.ts), called directly: no daemon between the pool and
 * the kernel. Everything runc-pool keeps is under RUNC_HOME, on the host's /run (a tmpfs: gone at
 * reboot, as the containers are): each runtime's own state root (`--root`), and `bundles/<id>/`
 * each container's config.json and log. All root's, mode 0700: no other user of the host can read
 * a config or touch a state.
 */
export { RUNC_HOME, RUNTIME_STATES };
export const RUNC_BUNDLES = path.join(RUNC_HOME, 'bundles');
export const ENABLE_RUNC = 'apt-get install crun or runc (runc-pool runs as root)';
/** How long one runtime command may take before it counts as failed. */
const RUNC_TIMEOUT_MS = 30_000;

/** The program and arguments of `runtime ARGS` (its prefix, the runtime, its state root). */
export function runtimeArgv(runtime: OciRuntime, args: readonly string[]): [string, string[]] {
  const [program = runtime.binary, ...rest] = [...runtime.prefix, runtime.binary, '--root', runtime.state, ...args];
  return [program, rest];
}

/** Runs `runtime --root STATE ARGS`; resolves with its stdout, rejects with its stderr's last line. */
export function callRuntime(runtime: OciRuntime, args: readonly string[]): Promise<string> {
  const [program, rest] = runtimeArgv(runtime, args);
  return new Promise((resolve, reject) => {
    execFile(program, rest, { timeout: RUNC_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${runtime.name} ${args[0] ?? ''}: ${lastLine(stderr) || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

export function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

/** Makes RUNC_HOME, the bundles' folder and every runtime's state root (root's, 0700) when missing. */
export function makeRuncHome(): void {
  for (const dir of [RUNC_HOME, ...RUNTIME_STATES, RUNC_BUNDLES]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
  }
}

/**
 * `run --detach`: creates and starts container `id` from `bundle` and returns once its process
 * runs. The container's stdio is the bundle's `agent.log` (stdin /dev/null): the runtime's own
 * errors and whatever the agent says on stderr land there, and the rejection quotes its last line.
 */
export async function runDetached(runtime: OciRuntime, id: string, bundle: string): Promise<void> {
  const log = path.join(bundle, 'agent.log');
  const fd = fs.openSync(log, 'w', 0o600);
  try {
    const [program, rest] = runtimeArgv(runtime, ['run', '--detach', '--bundle', bundle, id]);
    const child = spawn(program, rest, { stdio: ['ignore', fd, fd] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (status) => resolve(status));
    });
    if (code !== 0) throw new Error(`${runtime.name} run exited with ${code}: ${lastLine(fs.readFileSync(log, 'utf8'))}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** `delete --force`: kills what runs in it and removes its state and cgroups; a container already gone counts as removed. */
export async function deleteContainer(runtime: OciRuntime, id: string): Promise<void> {
  try {
    await callRuntime(runtime, ['delete', '--force', id]);
  } catch (error) {
    if (fs.existsSync(path.join(runtime.state, id))) throw error;
  }
  await removeGroups(id);
}

/**
 * runc 1.1 removes its state even when the rmdir of the container's cgroups failed (EBUSY: the
 * killed processes not yet reaped, which a loaded host makes last): the groups left in any
 * controller are removed here, as the Docker backends remove theirs (cgroupV1.removeGroup).
 */
export async function removeGroups(id: string): Promise<void> {
  await removeGroup(hierarchiesHolding(id), path.join('sandbox-perf', id));
}

/**
 * The host's cgroup hierarchies that hold container `id`'s group: v1's (`root/<controller>`), a
 * hybrid host's cgroup2 (`root/unified`), or a cgroup2-only host's, `root` itself.
 */
function hierarchiesHolding(id: string, root = '/sys/fs/cgroup'): string[] {
  const group = path.join('sandbox-perf', id);
  const hierarchies = fs.existsSync(root) ? [root, ...fs.readdirSync(root).map((c) => path.join(root, c))] : [];
  return hierarchies.filter((controller) => fs.existsSync(path.join(controller, group)));
}

/**
 * SIGKILLs every process of container `id`, from the host (no runtime process): the members of its
 * group, which none of them can leave (no CAP_SYS_ADMIN, /sys/fs/cgroup read-only); its PID 1 among
 * them, whose death ends the rest of its PID namespace. `root`: where the cgroup hierarchies are
 * mounted (the tests give a tree of their own).
 */
export function killContainer(id: string, root?: string): void {
  const [holding] = hierarchiesHolding(id, root);
  if (holding !== undefined) killMembers(path.join(holding, 'sandbox-perf', id));
}

/** The container's status as `state` says it (`created`, `running`, `stopped`…), or null when the runtime knows no such container. */
export async function containerStatus(runtime: OciRuntime, id: string): Promise<string | null> {
  try {
    const state = JSON.parse(await callRuntime(runtime, ['state', id])) as { status?: unknown };
    return typeof state.status === 'string' ? state.status : null;
  } catch {
    return null;
  }
}
