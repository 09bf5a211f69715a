import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { removeGroup } from '../host/cgroupV1';

/**
 * runc, called directly: no daemon between the pool and the kernel. Everything runc-pool keeps is
 * under RUNC_HOME, on the host's /run (a tmpfs: gone at reboot, as the containers are):
 * `state/` is runc's own root (`runc --root`), `bundles/<id>/` each container's config.json and
 * log. Both are root's, mode 0700: no other user of the host can read a config or touch a state.
 */
export const RUNC_HOME = '/run/sandbox-perf-runc';
export const RUNC_STATE = path.join(RUNC_HOME, 'state');
export const RUNC_BUNDLES = path.join(RUNC_HOME, 'bundles');
export const ENABLE_RUNC = 'apt-get install runc (runc-pool runs as root)';
/** How long one runc command may take before it counts as failed. */
const RUNC_TIMEOUT_MS = 30_000;

/** The runc binary: `SANDBOX_PERF_RUNC` when set, else `runc` on the PATH. */
export function runcBinary(): string {
  return process.env.SANDBOX_PERF_RUNC || 'runc';
}

/** Runs `runc --root RUNC_STATE ARGS`; resolves with its stdout, rejects with its stderr's last line. */
export function runc(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(runcBinary(), ['--root', RUNC_STATE, ...args], { timeout: RUNC_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`runc ${args[0] ?? ''}: ${lastLine(stderr) || error.message}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

/** Makes RUNC_HOME and its two folders (root's, 0700) when missing. */
export function makeRuncHome(): void {
  for (const dir of [RUNC_HOME, RUNC_STATE, RUNC_BUNDLES]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
  }
}

/**
 * `runc run -d`: creates and starts container `id` from `bundle` and returns once its process
 * runs. The container's stdio is the bundle's `agent.log` (stdin /dev/null): runc's own errors
 * and whatever the agent says on stderr land there, and the rejection quotes its last line.
 */
export async function runDetached(id: string, bundle: string): Promise<void> {
  const log = path.join(bundle, 'agent.log');
  const fd = fs.openSync(log, 'w', 0o600);
  try {
    const child = spawn(runcBinary(), ['--root', RUNC_STATE, 'run', '--detach', '--bundle', bundle, id], {
      stdio: ['ignore', fd, fd],
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (status) => resolve(status));
    });
    if (code !== 0) throw new Error(`runc run exited with ${code}: ${lastLine(fs.readFileSync(log, 'utf8'))}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** `runc delete --force`: kills what runs in it and removes its state and cgroups; a container already gone counts as removed. */
export async function deleteContainer(id: string): Promise<void> {
  try {
    await runc(['delete', '--force', id]);
  } catch (error) {
    if (fs.existsSync(path.join(RUNC_STATE, id))) throw error;
  }
  await removeGroups(id);
}

/**
 * runc 1.1 removes its state even when the rmdir of the container's cgroups failed (EBUSY: the
 * killed processes not yet reaped, which a loaded host makes last): the groups left in any
 * controller are removed here, as the Docker backends remove theirs (cgroupV1.removeGroup).
 */
async function removeGroups(id: string): Promise<void> {
  const root = '/sys/fs/cgroup';
  const group = path.join('sandbox-perf', id);
  const holding = fs.existsSync(root) ? fs.readdirSync(root).map((c) => path.join(root, c)) : [];
  await removeGroup(
    holding.filter((controller) => fs.existsSync(path.join(controller, group))),
    group,
  );
}

/** The container's status as `runc state` says it (`created`, `running`, `stopped`…), or null when runc knows no such container. */
export async function containerStatus(id: string): Promise<string | null> {
  try {
    const state = JSON.parse(await runc(['state', id])) as { status?: unknown };
    return typeof state.status === 'string' ? state.status : null;
  } catch {
    return null;
  }
}
