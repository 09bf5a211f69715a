import { spawnSync } from 'node:child_process';

/** Pool containers (running or not) whose working directory is `dir`: the ones a test's pool made; only `backend`'s when given. */
export function poolContainersIn(dir: string, backend?: 'docker-pool' | 'gvisor-pool'): string[] {
  const label = backend === undefined ? 'sandbox-perf.pool' : `sandbox-perf.pool=${backend}`;
  const ps = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${label}`], { encoding: 'utf8' });
  const ids = ps.stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const inspect = spawnSync('docker', ['inspect', '--format', '{{.Id}} {{.Config.WorkingDir}}', ...ids], { encoding: 'utf8' });
  return inspect.stdout
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, workDir]) => workDir === dir)
    .map(([id]) => id as string);
}

/** The host PID of a container's first process (its agent). */
export function containerPid(id: string): number {
  return Number(spawnSync('docker', ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' }).stdout.trim());
}

/** Polls `check` every 100 ms until it returns true or `ms` pass; returns its last answer. */
export async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}
