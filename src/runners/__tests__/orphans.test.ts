/**
 * @exclusive each sweep here must find the orphans this file made (dead owners' containers and
 * groups): a file running beside it that prepares a Docker or host backend sweeps them too, and
 * could remove them first.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { describeWhen } from '../../../test/support/e2e';
import { CGROUP_PARENT, probeCgroupV1, removeGroup, type CgroupV1 } from '../host/cgroupV1';
import { CONTAINER_LABEL, ownerLabels } from '../docker/containerOwner';
import { currentOwner, ownerTag, type ContainerOwner } from '../owner';
import { defaultDockerSocket } from '../options';
import { removeOrphans } from '../orphans';
import { dockerImage, dockerMissing, INSTALL_DOCKER } from '../../../test/support/runners';

/** The PID of a process that ran and exited: dead, as a SIGKILLed runner is. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describeWhen('removeOrphans: containers (real engine)', dockerMissing(), INSTALL_DOCKER, () => {
  const docker = new Docker({ socketPath: defaultDockerSocket() });
  const created: string[] = [];
  afterAll(async () => {
    await Promise.all(
      created.map((id) =>
        docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  });

  async function container(labels: Record<string, string>, start = false): Promise<string> {
    const c = await docker.createContainer({
      Image: dockerImage,
      Cmd: ['sleep', '300'],
      Labels: { [CONTAINER_LABEL]: 'orphans-test', ...labels },
      HostConfig: { NetworkMode: 'none' },
    });
    created.push(c.id);
    if (start) await c.start();
    return c.id;
  }
  const exists = async (id: string) =>
    docker
      .getContainer(id)
      .inspect()
      .then(() => true)
      .catch(() => false);

  test('removes containers whose owner is dead or from an earlier boot, running or not; keeps live, foreign and unlabelled ones', async () => {
    const me = currentOwner();
    const dead: ContainerOwner = { ...me, pid: deadPid() };
    const deadRunning = await container(ownerLabels(dead), true);
    const deadCreated = await container(ownerLabels(dead));
    const rebooted = await container(ownerLabels({ ...me, bootId: 'an-earlier-boot' }));
    const mine = await container(ownerLabels());
    const foreign = await container(ownerLabels({ ...dead, host: `${me.host}-elsewhere` }));
    const unlabelled = await container({});

    const sweep = await removeOrphans({ docker });
    expect(sweep.removed).toEqual(expect.arrayContaining([deadRunning, deadCreated, rebooted]));
    for (const id of [deadRunning, deadCreated, rebooted]) expect(await exists(id)).toBe(false);
    for (const id of [mine, foreign, unlabelled]) expect(await exists(id)).toBe(true);
    expect(sweep.removed).not.toEqual(expect.arrayContaining([mine]));
    expect(sweep.kept.alive).toBeGreaterThanOrEqual(1);
    expect(sweep.kept.foreign).toBeGreaterThanOrEqual(1);
    expect(sweep.kept.unknown).toBeGreaterThanOrEqual(1);
    expect(sweep.failures).toEqual([]);
  }, 60_000);

  test('two sweeps at once (gc racing a guardian or a prepare): the containers go, and neither reports the other’s removal as a failure', async () => {
    const dead: ContainerOwner = { ...currentOwner(), pid: deadPid() };
    const ids = await Promise.all([1, 2, 3].map(() => container(ownerLabels(dead), true)));
    const sweeps = await Promise.all([removeOrphans({ docker }), removeOrphans({ docker }), removeOrphans({ docker })]);
    for (const id of ids) expect(await exists(id)).toBe(false);
    for (const sweep of sweeps) expect(sweep.failures).toEqual([]);
    // Each container was removed once, by one sweep or another.
    expect(sweeps.flatMap((s) => s.removed).filter((id) => ids.includes(id)).length).toBeLessThanOrEqual(ids.length);
  }, 60_000);

  test('an engine that does not answer is a failure line, not a throw', async () => {
    const sweep = await removeOrphans({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) });
    expect(sweep.removed).toEqual([]);
    expect(sweep.failures).toEqual([expect.stringMatching(/^listing containers: .*ENOENT/)]);
  });
});

const cgroup = probeCgroupV1();
describeWhen(
  'removeOrphans: cgroup v1 groups named after a dead process',
  cgroup.value ? false : cgroup.reason,
  'run as root with cgroup v1 mounted',
  () => {
    const v1 = cgroup.value as CgroupV1;
    test('a dead runner’s group is removed with what still runs in it; a live process’s group, foreign names and names with a PID alone stay', async () => {
      const dead = `run-${ownerTag({ ...currentOwner(), pid: deadPid() })}-1`;
      const live = `run-${ownerTag()}-orphans-test`;
      const foreign = `not-ours-${process.pid}`;
      // Named by a sandbox-perf from before the owner tag: a PID alone cannot prove its owner gone.
      const legacy = `run-${deadPid()}-c1`;
      for (const name of [dead, live, foreign, legacy]) fs.mkdirSync(path.join(v1.memory, CGROUP_PARENT, name), { recursive: true });
      // An escaped process of the dead run, still in its group.
      const escaped = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
      fs.writeFileSync(path.join(v1.memory, CGROUP_PARENT, dead, 'cgroup.procs'), String(escaped.pid));
      const exited = new Promise((resolve) => escaped.once('exit', (_code, signal) => resolve(signal)));
      try {
        const sweep = await removeOrphans({ cgroup: v1 });
        expect(sweep.cgroupsRemoved).toContain(path.join(CGROUP_PARENT, dead));
        expect(fs.existsSync(path.join(v1.memory, CGROUP_PARENT, dead))).toBe(false);
        expect(await exited).toBe('SIGKILL');
        expect(fs.existsSync(path.join(v1.memory, CGROUP_PARENT, live))).toBe(true);
        expect(fs.existsSync(path.join(v1.memory, CGROUP_PARENT, foreign))).toBe(true);
        expect(fs.existsSync(path.join(v1.memory, CGROUP_PARENT, legacy))).toBe(true);
        expect(sweep.cgroupsKept).toBeGreaterThanOrEqual(3);
      } finally {
        escaped.kill('SIGKILL');
        for (const name of [dead, live, foreign, legacy]) await removeGroup(v1.hierarchies, path.join(CGROUP_PARENT, name));
      }
    }, 30_000);
  },
);
