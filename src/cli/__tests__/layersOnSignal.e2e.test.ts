import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { tempDir } from '../../../test/support/tempDir';
import { dockerMissing, INSTALL_DOCKER, toolMissing, uniqueSleep } from '../../../test/support/runners';
import { probeFreezer } from '../../runners/host/containmentGroup';
import { mountsUnder, unmountAll } from '../../runners/workdir/mounts';
import { cliBuilt } from './support/cli';
import { cgroupsOf, entriesOf, signalCli, sleeping } from './support/leftovers';

/**
 * SIGINT or SIGTERM of `run` or `compare` leaves nothing of what its runs set up on the host: the
 * `--workdir overlay` layers (and docker-warm's two host mounts, the run's overlayfs on the
 * read-only bind of the working directory, detached in that order), the sandbox root, and the
 * cgroups kept between runs. Before (hostile trial): `/tmp/sandbox-perf-layer-*`, the mounts, and an
 * empty `/sys/fs/cgroup/pids/sandbox-perf/run-<pid>…` stayed until the next sweep or `gc`: the
 * re-raised signal skips the runs' `finally` and the backends' teardown. Each case is a real CLI
 * run, signalled while its command sleeps, with a TMPDIR of its own to look in.
 */
const freezer = probeFreezer();
const missing =
  (!cliBuilt && 'dist/ is not built') ||
  (process.getuid?.() !== 0 && 'overlay needs root') ||
  (freezer.root === null && freezer.reason) ||
  toolMissing('bwrap');

const dir = tempDir('layers-on-signal');
const db = path.join(dir, 'history.db');
fs.chmodSync(dir, 0o755);
afterAll(async () => {
  // On the old code docker-warm's mounts stayed here: never remove through them.
  await unmountAll(dir);
  // EBUSY while a removed container's mount namespace still holds the working directory.
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
});

/** A fresh TMPDIR for one CLI run, readable by the sandbox user. */
function freshTmp(name: string): string {
  const tmp = path.join(dir, `tmp-${name}`);
  fs.mkdirSync(tmp, { mode: 0o755 });
  return tmp;
}

/** Signals `args` once its command `sleep MARKER` runs; expects it dead of the signal and nothing of it left in `tmp` or the cgroups. */
async function expectCleanAfter(args: string[], marker: string, signal: NodeJS.Signals, name: string): Promise<string> {
  const tmp = freshTmp(name);
  // Half a second into the command, once the history's writer is idle: signalled at once, the
  // history's own exit hook outlived the run registry's round on the old code, and the run's
  // finally removed its layer, hiding the leftovers. No assertion depends on it.
  let seenAt: number | undefined;
  const until = (): boolean => {
    if (seenAt === undefined && sleeping(marker).length > 0) seenAt = Date.now();
    return seenAt !== undefined && Date.now() - seenAt > 500;
  };
  const ended = await signalCli(args, { cwd: dir, tmp, signal, until });
  expect(ended.signal).toBe(signal);
  expect(ended.stderr).not.toMatch(/failed|took over/);
  expect(mountsUnder(tmp)).toEqual([]);
  expect(entriesOf(tmp)).toEqual([]);
  expect(cgroupsOf(ended.pid)).toEqual([]);
  return tmp;
}

describeWhen('a signal undoes what the runs set up on the host', missing, 'run as root with bubblewrap and the cgroup v1 freezer', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)(
    '%s of compare --sandbox bubblewrap --workdir overlay removes the layer, the sandbox root and the cgroups',
    async (signal) => {
      const marker = uniqueSleep();
      const args = ['compare', '--db', db, '-r', '3', '-w', '0', '--sandbox', 'bubblewrap', '--workdir', 'overlay'];
      await expectCleanAfter([...args, '--', 'sh', '-c', `sleep ${marker}`], marker, signal, `bubblewrap-${signal}`);
    },
    90_000,
  );

  test('SIGINT of run --sandbox none removes its containment group, and with --workdir overlay its layer', async () => {
    const marker = uniqueSleep();
    await expectCleanAfter(['run', '--db', db, '--sandbox', 'none', '--', 'sleep', marker], marker, 'SIGINT', 'none');
    const layered = uniqueSleep();
    const args = ['run', '--db', db, '--sandbox', 'none', '--workdir', 'overlay', '--', 'sleep', layered];
    await expectCleanAfter(args, layered, 'SIGINT', 'none-overlay');
  }, 90_000);

  describeWhen('on docker-warm', dockerMissing(), INSTALL_DOCKER, () => {
    test.each(['SIGINT', 'SIGTERM'] as const)(
      '%s of compare --sandbox docker-warm --workdir overlay detaches the run overlay and the read-only bind, then removes both layers',
      async (signal) => {
        const marker = uniqueSleep();
        const args = ['compare', '--db', db, '-r', '3', '-w', '0', '--sandbox', 'docker-warm', '--workdir', 'overlay'];
        await expectCleanAfter([...args, '--', 'sh', '-c', `sleep ${marker}`], marker, signal, `docker-warm-${signal}`);
      },
      90_000,
    );
  });
});
