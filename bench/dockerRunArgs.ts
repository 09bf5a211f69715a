import type Docker from 'dockerode';

/*
 * The `docker run --rm` line that asks the engine for the container our `docker` backend asks for:
 * built from the same containerSpec, flag by flag. A setting this does not know is an error, so the
 * Docker CLI never meets a lighter container than ours when containerSpec grows.
 */

type Spec = Docker.ContainerCreateOptions;

const ATTACHED = { AttachStdout: true, AttachStderr: true, Tty: false } as const;

function unknown(where: string, key: string): never {
  throw new Error(`dockerRunArgs: no docker run flag for ${where}${key}; add it here so that both sides get the same container`);
}

function hostFlags(host: NonNullable<Spec['HostConfig']>): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(host)) {
    switch (key) {
      case 'NetworkMode':
        flags.push('--network', String(value));
        break;
      case 'CapDrop':
        for (const cap of value as string[]) flags.push('--cap-drop', cap);
        break;
      case 'SecurityOpt':
        for (const opt of value as string[]) flags.push('--security-opt', opt);
        break;
      case 'Privileged':
        if (value === true) flags.push('--privileged');
        break;
      case 'ReadonlyRootfs':
        if (value === true) flags.push('--read-only');
        break;
      case 'IpcMode':
        flags.push('--ipc', String(value));
        break;
      case 'PidsLimit':
        flags.push('--pids-limit', String(value));
        break;
      case 'ShmSize':
        flags.push('--shm-size', String(value));
        break;
      case 'Tmpfs':
        for (const [where, opts] of Object.entries(value as Record<string, string>))
          flags.push('--tmpfs', opts ? `${where}:${opts}` : where);
        break;
      case 'Binds':
        for (const bind of value as string[]) flags.push('--volume', bind);
        break;
      case 'Memory':
        flags.push('--memory', String(value));
        break;
      case 'MemorySwap':
        flags.push('--memory-swap', String(value));
        break;
      case 'NanoCpus':
        flags.push('--cpus', String((value as number) / 1e9));
        break;
      case 'LogConfig':
        flags.push('--log-driver', (value as { Type: string }).Type);
        break;
      case 'CgroupParent':
        flags.push('--cgroup-parent', String(value));
        break;
      default:
        unknown('HostConfig.', key);
    }
  }
  return flags;
}

/** `docker run --rm …` for `spec`, as an argv. */
export function dockerRunArgs(spec: Spec): string[] {
  const flags: string[] = ['docker', 'run', '--rm'];
  let image = '';
  let cmd: string[] = [];
  for (const [key, value] of Object.entries(spec)) {
    switch (key) {
      case 'Image':
        image = String(value);
        break;
      case 'Cmd':
        cmd = value as string[];
        break;
      case 'Env':
        for (const entry of value as string[]) flags.push('--env', entry);
        break;
      case 'WorkingDir':
        flags.push('--workdir', String(value));
        break;
      case 'User':
        flags.push('--user', String(value));
        break;
      case 'Labels':
        for (const [label, v] of Object.entries(value as Record<string, string>)) flags.push('--label', `${label}=${v}`);
        break;
      case 'HostConfig':
        flags.push(...hostFlags(value as NonNullable<Spec['HostConfig']>));
        break;
      default:
        // docker run attaches standard output and error, without a terminal, unless told otherwise.
        if (!(key in ATTACHED) || ATTACHED[key as keyof typeof ATTACHED] !== value) unknown('', key);
    }
  }
  return [...flags, image, ...cmd];
}
