import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import {
  dockerMissing,
  gvisorMissing,
  INSTALL_DOCKER,
  processesMatching,
  runscRuntimeMissing,
  toolMissing,
  uniqueSleep,
  runcMissing,
  INSTALL_RUNC,
} from '../../../test/support/runners';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { runInSandbox } from '../runInSandbox';
import type { BackendName, SandboxOptions } from '../types';

// Issue 23, finding 4: on unshare and bubblewrap 1 500 of 1 500 forks succeeded (the Docker
// backends stopped at 512), and 400 MB were written to their tmpfs /tmp. Every run here is inside a
// memory cgroup of 512 MiB, so that the old code's unbounded runs could not hurt the host either:
// the fork bombs are bounded (sleeping children, at most 911), the default tmpfs sizes are read,
// not filled, and the filler writes 16 MiB.

const monitor = new SandboxPerfMonitor({ sink: false });
// Not under /tmp: gVisor cannot mount its tmpfs over a /tmp that holds the working directory.
const cwd = fs.mkdtempSync(path.join('/var/tmp', 'sandbox-perf-limits-'));
fs.chmodSync(cwd, 0o777);
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const MEMORY = 512 * 1024 * 1024;
const PIDS = 64;
const TMP_BYTES = 4 * 1024 * 1024;
const LIMITS: SandboxOptions = { cwd, pidsLimit: PIDS, tmpSizeBytes: TMP_BYTES, memoryBytes: MEMORY };
// The defaults, written out: the tests of the defaults pass no limit options, so that they run on code without them.
const DEFAULT_PIDS_LIMIT = 512;
const DEFAULT_TMP_SIZE_BYTES = 512 * 1024 * 1024;
/** What the kernel's reserved PIDs may add where the limit is a PID namespace's pid_max (processLimit.ts). */
const RESERVED = 299;

/**
 * Forks sleeping children until one is refused or `tries` were started, then prints how many
 * started and the refusal's code; the children die with the run.
 */
function forkBomb(tries: number, seconds: string): string {
  return `
    const { spawn } = require('child_process');
    let pending = ${tries}, started = 0, refused = null;
    const settle = () => { if (--pending === 0) { console.log(started + ' ' + refused); process.exit(0); } };
    for (let i = ${tries}; i > 0; i--)
      spawn('sleep', ['${seconds}'], { stdio: 'ignore' })
        .on('spawn', () => { started++; settle(); })
        .on('error', (e) => { refused = e.code; settle(); });`;
}

/** Writes 16 MiB in 1 MiB pieces to each file given, then prints, per file, the bytes written and the error that stopped it. */
const FILL = `
  const fs = require('fs');
  for (const file of process.argv.slice(1)) {
    let written = 0, stopped = null;
    try { const fd = fs.openSync(file, 'w'); for (let i = 0; i < 16; i++) written += fs.writeSync(fd, Buffer.alloc(1024 * 1024)); fs.closeSync(fd); }
    catch (e) { stopped = e.code; }
    try { fs.unlinkSync(file); } catch {}
    console.log(file + ' ' + written + ' ' + stopped);
  }`;

interface Case {
  name: BackendName;
  missing: string | false;
  install: string;
  optional?: boolean;
  /** Its limit is exact (Docker's, a pids group, RLIMIT_NPROC), or a PID namespace's pid_max. */
  exact: boolean;
  /** Its private tmpfs mounts (none has none: it writes the host's /tmp). */
  tmpfs: string[];
}

const root = process.getuid?.() === 0;
const CASES: Case[] = [
  { name: 'none', missing: root ? toolMissing('setpriv') : 'not root (the pids group)', install: 'run as root', exact: true, tmpfs: [] },
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux', exact: false, tmpfs: ['/tmp', '/dev/shm'] },
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap', exact: false, tmpfs: ['/tmp', '/dev/shm'] },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true, exact: true, tmpfs: ['/tmp'] },
  { name: 'docker', missing: dockerMissing(), install: INSTALL_DOCKER, exact: true, tmpfs: ['/tmp', '/dev/shm'] },
  { name: 'docker-warm', missing: dockerMissing(), install: INSTALL_DOCKER, exact: true, tmpfs: ['/tmp', '/dev/shm'] },
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER, exact: true, tmpfs: ['/tmp', '/dev/shm'] },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_DOCKER, optional: true, exact: true, tmpfs: ['/tmp'] },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC, exact: true, tmpfs: ['/tmp', '/dev/shm'] },
];

/** Each path's file system size (statfs), one per line. */
const SIZES = `const fs = require('fs'); for (const p of process.argv.slice(1)) { const s = fs.statfsSync(p); console.log(p + ' ' + s.bsize * s.blocks); }`;

async function bomb(name: BackendName, options: SandboxOptions, limit: number, exact: boolean): Promise<void> {
  const seconds = uniqueSleep();
  const tries = limit + RESERVED + 100;
  const { result } = await runInSandbox(name, ['node', '-e', forkBomb(tries, seconds)], { ...options, monitor, timeoutMs: 180_000 });
  const [started, refused] = result.stdout.trim().split(' ');
  expect({ outcome: result.outcome, refused }).toEqual({ outcome: 'success', refused: 'EAGAIN' });
  expect(Number(started)).toBeGreaterThan(0);
  expect(Number(started)).toBeLessThanOrEqual(exact ? limit : limit + RESERVED);
  expect(processesMatching(seconds)).toEqual([]);
  expect(spawnSync('true').status).toBe(0);
}

for (const { name, missing, install, optional, exact, tmpfs } of CASES) {
  describeWhen(
    `no process limit on ${name}`,
    missing,
    install,
    () => {
      test(`by default a fork bomb gets EAGAIN at ${DEFAULT_PIDS_LIMIT} tasks, and the host keeps working`, async () => {
        await bomb(name, { cwd, memoryBytes: MEMORY }, DEFAULT_PIDS_LIMIT, exact);
      }, 300_000);

      if (tmpfs.length > 0) {
        test(`by default each private tmpfs is ${DEFAULT_TMP_SIZE_BYTES} bytes: ${tmpfs.join(', ')}`, async () => {
          const { result } = await runInSandbox(name, ['node', '-e', SIZES, ...tmpfs], {
            cwd,
            memoryBytes: MEMORY,
            monitor,
            timeoutMs: 120_000,
          });
          expect(result.stdout).toBe(tmpfs.map((dir) => `${dir} ${DEFAULT_TMP_SIZE_BYTES}\n`).join(''));
        }, 240_000);
      }

      test(`pidsLimit ${PIDS}${tmpfs.length > 0 ? ` and tmpSizeBytes ${TMP_BYTES}` : ''} hold: a fork bomb, a /tmp filler`, async () => {
        await bomb(name, LIMITS, PIDS, exact);
        if (tmpfs.length === 0) return;
        const files = tmpfs.map((dir) => `${dir}/sandbox-perf-fill`);
        const { result } = await runInSandbox(name, ['node', '-e', FILL, ...files], { ...LIMITS, monitor, timeoutMs: 120_000 });
        expect(result.outcome).toBe('success');
        const lines = result.stdout.trim().split('\n');
        expect(lines).toHaveLength(files.length);
        for (const line of lines) {
          const [, written, stopped] = line.split(' ');
          expect({ line, stopped }).toEqual({ line, stopped: 'ENOSPC' });
          expect(Number(written)).toBeLessThanOrEqual(TMP_BYTES);
        }
      }, 300_000);
    },
    { optional },
  );
}
