import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assertSandboxUserCanEnter } from '../cwdAccess';
import { containerUser, containerUserIds } from '../docker/containerSpec';
import { prepareDockerWorkdir } from '../docker/dockerWorkdir';
import { BackendUnavailableError } from '../errors';
import { GUARD_IN_CONTAINER, requireGuard } from '../host/guard';
import { LAUNCHER_IN_CONTAINER, launcherForRun } from '../host/launcher';
import { errorMessage } from '../../log';
import type { ResolvedSandboxOptions } from '../options';
import { ownerTag } from '../owner';
import { AGENT_SOCKET_DIR, SocketListener, type AgentChannel } from '../pool/agentChannel';
import { agentProgram, type AgentProgram } from '../pool/agentBinary';
import { agentCommand } from '../pool/agentScript';
import { PooledSandbox, READY_TIMEOUT_MS, within, type SandboxContainer } from '../pool/PooledSandbox';
import type { SandboxSource } from '../pool/sandboxSource';
import { WorkdirLayer } from '../workdir/WorkdirLayer';
import { imageRoot, type ImageRoot } from './runcBundle';
import { runAttached } from './attachedContainer';
import { ociRuntime, RUNTIME_SETTING, type OciRuntime } from './ociRuntime';
import { containerStatus, deleteContainer, ENABLE_RUNC, makeRuncHome, RUNC_BUNDLES, runDetached } from './runcCli';
import { runcConfig } from './runcConfig';
import { sweepRunc } from './runcOrphans';

/**
 * Checks runc-pool can run here without starting anything: root, the OCI runtime (crun or runc:
 * ociRuntime.ts), the socket guard, the working directory, the image's root.
 */
export async function checkRunc(options: ResolvedSandboxOptions): Promise<{ root: ImageRoot; runtime: OciRuntime }> {
  if (process.getuid?.() !== 0)
    throw new BackendUnavailableError('runc-pool', 'crun and runc need root here (cgroup v1, no user namespace)', ENABLE_RUNC);
  if (options.network)
    throw new BackendUnavailableError(
      'runc-pool',
      'no network: its containers have only a loopback interface',
      'use docker-pool for network: true',
    );
  requireGuard('runc-pool');
  assertSandboxUserCanEnter('runc-pool', options.cwd, containerUserIds(options.cwd));
  let runtime: OciRuntime;
  try {
    runtime = ociRuntime();
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new BackendUnavailableError('runc-pool', errorMessage(error), ENABLE_RUNC, { cause: error });
  }
  await new Promise<void>((resolve, reject) => {
    execFile(runtime.binary, ['--version'], { timeout: 10_000 }, (error) =>
      error
        ? reject(
            new BackendUnavailableError('runc-pool', `${runtime.binary} does not run: ${error.message}`, ENABLE_RUNC, { cause: error }),
          )
        : resolve(),
    );
  });
  return { root: await imageRoot(options), runtime };
}

/** A detached container (runc's: `run --detach`, removed by `delete --force`) as a pool's SandboxContainer. */
function runcContainer(runtime: OciRuntime, id: string, bundle: string): SandboxContainer {
  return {
    kill: () => deleteContainer(runtime, id),
    wait: async () => {
      // delete --force (kill) returns once the runtime has killed and removed it: nothing runs any more.
      while ((await containerStatus(runtime, id)) === 'running') await new Promise((resolve) => setTimeout(resolve, 10));
    },
    remove: async () => {
      await deleteContainer(runtime, id);
      await fs.promises.rm(bundle, { recursive: true, force: true });
    },
  };
}

/** The last lines of a container's log (the runtime's errors, the agent's stderr), or '' when there is none. */
function logTail(bundle: string): string {
  try {
    return fs.readFileSync(path.join(bundle, 'agent.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

/**
 * One runc-pool sandbox: its socket directory, its layer (`overlay`), its bundle directory
 * (`config.json`, `agent.log`), then crun's `run` (attached: attachedContainer.ts) or runc's
 * `run --detach`; resolves once the agent is ready, as a
 * docker-pool sandbox does (PooledSandbox.ready). Its id is `runc-<owner tag>-<random>`: the
 * owner's PID, start time and PID namespace, which the sweep (runcOrphans.ts) judges.
 */
async function startRuncSandbox(
  options: ResolvedSandboxOptions,
  root: ImageRoot,
  runtime: OciRuntime,
  guard: string,
  launcher: string | null,
  agent: AgentProgram,
): Promise<PooledSandbox> {
  const token = randomBytes(16).toString('hex');
  const suffix = randomBytes(4).toString('hex');
  const id = `runc-${ownerTag()}-${suffix}`;
  const bundle = path.join(RUNC_BUNDLES, id);
  const listener = await SocketListener.open();
  let layer: WorkdirLayer | null = null;
  let started: SandboxContainer | null = null;
  let channel: AgentChannel | undefined;
  try {
    let t = performance.now();
    if (options.workdir === 'overlay') layer = WorkdirLayer.create(options.cwd);
    fs.mkdirSync(bundle, { mode: 0o700 });
    const cmd = [GUARD_IN_CONTAINER, ...agent.command, containerUser(options.cwd)];
    const args = agentCommand(cmd, token, `${AGENT_SOCKET_DIR}/agent.sock`, launcher === null ? null : LAUNCHER_IN_CONTAINER);
    const config = runcConfig(options, {
      id,
      hostname: `sandbox-${suffix}`,
      root,
      args,
      agentDir: listener.agentDir,
      guard,
      launcher,
      agent: agent.file,
      layer,
    });
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config), { mode: 0o600 });
    const createMs = performance.now() - t;
    t = performance.now();
    let startMs: number;
    if (runtime.name === 'crun') {
      // Attached (attachedContainer.ts): the start is crun's until the agent connects.
      const attached = runAttached(runtime, id, bundle);
      started = attached.container;
      channel = await within(Promise.race([listener.connected, attached.endedEarly]), READY_TIMEOUT_MS, 'the agent did not connect');
      startMs = performance.now() - t;
      t = performance.now();
    } else {
      started = runcContainer(runtime, id, bundle);
      await runDetached(runtime, id, bundle);
      startMs = performance.now() - t;
      t = performance.now();
      channel = await within(listener.connected, READY_TIMEOUT_MS, 'the agent did not connect');
    }
    return await PooledSandbox.ready(started, channel, listener, { createMs, attachMs: 0, startMs, readyMs: 0 }, layer, token, t);
  } catch (error) {
    channel?.destroy();
    listener.close();
    const log = logTail(bundle);
    if (started) await started.remove().catch(() => undefined);
    await fs.promises.rm(bundle, { recursive: true, force: true });
    await layer?.remove().catch(() => undefined);
    const why = error instanceof Error ? error.message : String(error);
    const other = runtime.name === 'crun' ? `; ${RUNTIME_SETTING}=runc starts runc-pool's containers with runc instead` : '';
    throw new Error(`the ${runtime.name} container did not become ready: ${why}${log === '' ? '' : ` (its log: ${log})`}${other}`, {
      cause: error,
    });
  }
}

/**
 * runc-pool's source of sandboxes: checks, sweeps what dead owners left (runcOrphans.ts), makes
 * sure the image's root is exported, then starts each sandbox with the OCI runtime alone (crun,
 * else runc: ociRuntime.ts), chosen here once for the pool's life.
 */
export async function openRuncSource(options: ResolvedSandboxOptions): Promise<SandboxSource> {
  const { root, runtime } = await checkRunc(options);
  const guard = requireGuard('runc-pool');
  makeRuncHome();
  await sweepRunc();
  await prepareDockerWorkdir(options);
  const launcher = launcherForRun();
  const agent = agentProgram();
  return { runtime: runtime.name, start: () => startRuncSandbox(options, root, runtime, guard, launcher, agent) };
}
