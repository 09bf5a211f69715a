import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxContainer } from '../pool/PooledSandbox';
import type { OciRuntime } from './ociRuntime';
import { deleteContainer, killContainer, lastLine, removeGroups, runtimeArgv } from './runcCli';

/** How long a removal waits for crun to end once the container's processes are killed. */
const EXIT_WAIT_MS = 10_000;

export interface AttachedContainer {
  container: SandboxContainer;
  /** Rejects when crun ends before `ready` settles (it could not start the container), quoting the log. */
  endedEarly: Promise<never>;
}

/**
 * `crun run` without `--detach`: crun stays, the container's parent, until the container's PID 1
 * (the agent) exits, then removes the container's state and cgroups itself and exits. So no
 * `crun delete` process per sandbox: it costs about as much CPU as `crun run` does (each start of
 * crun is a dynamically linked program that first mounts its own binary read-only), and crun's
 * own clean-up in the process that is already there saved about 3 ms of CPU per sandbox (15.5
 * against 12.4 ms for run and removal, container included, alternating, load 5.5). The waiting crun
 * uses no CPU (about 3.6 MB of memory). It gets its own session, so that a terminal's Ctrl-C
 * reaches the runner, which closes its pools, and not crun; when the runner dies, each agent exits
 * (its channel closed), and with it the container, which crun then removes.
 * Kill and removal work from the host: the container's group's members get SIGKILL (runcCli's
 * killContainer), crun's end is awaited, and if crun did not remove everything (it was killed, or
 * timed out), `crun delete --force` and the group sweep do.
 */
export function runAttached(runtime: OciRuntime, id: string, bundle: string): AttachedContainer {
  const log = path.join(bundle, 'agent.log');
  const fd = fs.openSync(log, 'w', 0o600);
  let exited: Promise<number | null>;
  try {
    const [program, rest] = runtimeArgv(runtime, ['run', '--bundle', bundle, id]);
    const child = spawn(program, rest, { stdio: ['ignore', fd, fd], detached: true });
    exited = new Promise((resolve) => {
      child.once('error', () => resolve(null));
      child.once('exit', (code) => resolve(code));
    });
  } finally {
    fs.closeSync(fd);
  }
  const ended = (ms: number): Promise<boolean> =>
    Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())]);
  const container: SandboxContainer = {
    kill: () => {
      killContainer(id);
      return Promise.resolve();
    },
    wait: async () => {
      await exited;
    },
    remove: async () => {
      killContainer(id);
      await ended(EXIT_WAIT_MS);
      if (fs.existsSync(path.join(runtime.state, id))) await deleteContainer(runtime, id);
      else await removeGroups(id);
      await fs.promises.rm(bundle, { recursive: true, force: true });
    },
  };
  const endedEarly = exited.then((code) => {
    let why = '';
    try {
      why = lastLine(fs.readFileSync(log, 'utf8'));
    } catch {
      // No log: the bundle is gone.
    }
    throw new Error(`${runtime.name} run exited with ${code ?? 'an error'} before the agent connected${why === '' ? '' : `: ${why}`}`);
  });
  // Only the start awaits it; once the sandbox is ready crun's end is the container's (wait, remove).
  endedEarly.catch(() => undefined);
  return { container, endedEarly };
}
