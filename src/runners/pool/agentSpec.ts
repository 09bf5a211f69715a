import type Docker = require('dockerode');
import { containerSpec, containerUser } from '../docker/containerSpec';
import type { ResolvedSandboxOptions } from '../options';
import { AGENT_IN_CONTAINER, agentProgram } from './agentBinary';
import { GUARDED, POOL_LABEL, RUNTIMES, TRANSPORTS, type DockerPoolName } from './poolBackends';
import { requireGuard } from '../host/guard';

/**
 * What the agent keeps of root's capabilities: starting the command as its user (SETUID, SETGID:
 * setgroups, setgid, setuid in the child before exec) and killing the command's process group at
 * the timeout and at the end (KILL: the group belongs to another uid). Nothing else: no
 * DAC_OVERRIDE, no SYS_PTRACE, no SYS_ADMIN; `no-new-privileges` stays.
 */
export const AGENT_CAPABILITIES: readonly string[] = ['SETUID', 'SETGID', 'KILL'];

/**
 * The container settings of a pooled sandbox: `docker`'s (containerSpec: the same hardening,
 * working directory, limits and labels), the pool's label, the transport's stdio and the runtime;
 * and one difference, who runs what. The agent, which holds the report channel, runs as uid 0 of
 * the container with only AGENT_CAPABILITIES, and starts each command as the user `docker` would
 * run it as (containerUser: never root), passed as the agent's first argument.
 *
 * Why (issue 23, finding 3): as the same uid, the command could open the agent's descriptors
 * through /proc/1/fd (gVisor let it reopen the agent's stdout, the report channel) or ptrace the
 * agent (runc's seccomp profile allows ptrace, and nothing else stopped it: no Yama) and have it
 * write a forged exit report, recorded as a success of 1 ms. As another uid without
 * CAP_SYS_PTRACE, the kernel (and gVisor's) refuses /proc/1/fd, /proc/1/mem, ptrace and signals to
 * the agent; the command's own descriptors are its pipes and nothing else (none is inherited).
 *
 * Under runc the agent runs behind the socket guard (host/guard.ts, issue 23 finding 1), which
 * connects the agent's channel first (see agentCommand): every process of the container is then
 * under its filter, and no host socket in the working directory can be reached.
 */
export function poolContainerSpec(
  name: DockerPoolName,
  options: ResolvedSandboxOptions,
  launcher: string | null,
): Docker.ContainerCreateOptions {
  const guard = GUARDED[name] ? requireGuard(name) : null;
  const agent = agentProgram();
  const spec = containerSpec(options, [...agent.command, containerUser(options.cwd)], undefined, name, { launcher, guard });
  const runtime = RUNTIMES[name];
  return {
    ...spec,
    User: '0:0',
    Labels: { ...spec.Labels, [POOL_LABEL]: name },
    ...(TRANSPORTS[name] === 'attach'
      ? { AttachStdin: true, OpenStdin: true, StdinOnce: true }
      : { AttachStdout: false, AttachStderr: false }),
    HostConfig: {
      ...spec.HostConfig,
      // The C agent, read-only, as the launcher and the guard are.
      Binds: [...(spec.HostConfig?.Binds ?? []), ...(agent.file === null ? [] : [`${agent.file}:${AGENT_IN_CONTAINER}:ro`])],
      CapAdd: [...AGENT_CAPABILITIES],
      ...(runtime !== undefined ? { Runtime: runtime } : {}),
      // gVisor's tasks are not the host's: Docker's PidsLimit bounds its sentry, not a fork bomb
      // inside it (issue 23, finding 4). gVisor counts RLIMIT_NPROC per user of the sandbox, and the
      // command's user has no other process there. (Under runc the count would be the host's.)
      ...(runtime === 'runsc' ? { Ulimits: [{ Name: 'nproc', Soft: options.pidsLimit, Hard: options.pidsLimit }] } : {}),
    },
  };
}
