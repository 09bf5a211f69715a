/**
 * Every kind of state a run can leave behind (docs/runners.md, "State a run can leave behind"),
 * on the pools that promise a fresh sandbox per run. For each backend and working-directory mode,
 * one run leaves state of every kind and looks for it from inside its own sandbox (the control:
 * the probe does see what was left), then the next run of the same pool looks: it must find
 * nothing, but in the working directory of `rw`, which is the host's own by design. Real runc and
 * Docker, real containers; the kernel objects node cannot make are made by a small C probe
 * (fixtures/stateProbe.c) compiled into the working directory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { dockerMissing, INSTALL_DOCKER, INSTALL_RUNC, runcMissing, tempRecording, toolMissing } from '../../../../test/support/runners';
import { createPool } from '../../pool/createPool';
import type { PoolBackendName } from '../../pool/SandboxPool';
import type { WorkdirMode } from '../../workdir/workdirOptions';

jest.setTimeout(180_000);

const recording = tempRecording();
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-fresh-state-'));
// The sandbox user (nobody: the directory is root's) must enter it and, in `rw`, write there.
fs.chmodSync(cwd, 0o777);
const PROBE = path.join(cwd, 'state-probe');
const compiler = toolMissing('cc');
if (!compiler) {
  const cc = spawnSync('cc', ['-static', '-O1', '-o', PROBE, path.join(__dirname, 'fixtures', 'stateProbe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc could not build the state probe: ${cc.stderr}`);
}
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** What the probe reports from inside a sandbox (LOOK below). */
interface Look {
  root: Record<string, boolean>;
  tmp: boolean;
  shm: boolean;
  workdir: boolean;
  processes: number;
  network: string;
  kernel: Record<string, string>;
  mounts: string[];
  hostname: string;
  env: string[];
  limits: string;
  pidsMax: string;
}

/** Every top-level directory of the image but the mounted ones (/proc, /sys, /tmp; the image has no /var, /home, /root or /usr/bin). */
const ROOT_PATHS = ['/', '/etc/', '/usr/', '/bin/', '/lib/', '/run/', '/dev/'];

/**
 * The script both runs execute (`node -e SCRIPT MODE MARKER KEY PORT SECONDS`): in `leave` mode it
 * leaves one of each kind, then looks (the control); in `look` mode it only looks.
 */
const SCRIPT = String.raw`
const fs = require('fs'), cp = require('child_process'), net = require('net'), os = require('os');
const [mode, marker, key, port, seconds] = process.argv.slice(1);
const ROOT = ${JSON.stringify(ROOT_PATHS)};
const tryWrite = (f) => { try { fs.writeFileSync(f, marker); return 'written'; } catch (e) { return e.code; } };
const exists = (f) => fs.existsSync(f);
const probe = (m) => JSON.parse(cp.execFileSync('./state-probe', [m, key], { encoding: 'utf8' }));
const connect = () => new Promise((resolve) => {
  const s = net.connect(Number(port), '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve('connected'); });
  s.once('error', (e) => resolve(e.code));
});
const read = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch (e) { return e.code; } };
const look = async () => ({
  root: Object.fromEntries(ROOT.map((d) => [d, exists(d + marker)])),
  tmp: exists('/tmp/' + marker),
  shm: exists('/dev/shm/' + marker),
  workdir: exists(marker),
  // Not this script's own process nor its launcher: their arguments name the duration too.
  processes: fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ![process.pid, process.ppid].includes(Number(p)) && read('/proc/' + p + '/cmdline').includes(seconds)).length,
  network: await connect(),
  kernel: probe('look'),
  mounts: read('/proc/self/mountinfo').split('\n').map((l) => l.split(' ')[4]).sort(),
  hostname: os.hostname(),
  env: Object.keys(process.env).sort(),
  limits: read('/proc/self/limits'),
  pidsMax: read('/sys/fs/cgroup/pids/pids.max'),
});
(async () => {
  if (mode === 'look') return console.log(JSON.stringify({ look: await look() }));
  const before = await look();
  const left = {
    root: Object.fromEntries(ROOT.map((d) => [d, tryWrite(d + marker)])),
    tmp: tryWrite('/tmp/' + marker),
    shm: tryWrite('/dev/shm/' + marker),
    workdir: tryWrite(marker),
    kernel: probe('leave'),
    cgroup: tryWrite('/sys/fs/cgroup/pids/pids.max'),
    sysctl: tryWrite('/proc/sys/kernel/domainname'),
    mount: cp.spawnSync('mount', ['-t', 'tmpfs', 'none', '/tmp'], { stdio: 'ignore' }).status,
    agentLimits: cp.spawnSync('prlimit', ['--pid', '1', '--nofile=64:64'], { stdio: 'ignore' }).status,
  };
  process.env.SANDBOX_PERF_LEFT = marker;
  // Processes that outlive the run's process group: one in a session of its own, one orphaned by its shell.
  cp.spawn('sleep', [seconds], { detached: true, stdio: 'ignore' }).unref();
  cp.spawnSync('sh', ['-c', '(sleep ' + seconds + ' &)'], { stdio: 'ignore' });
  // A listener on loopback, held by a daemonised process.
  cp.spawn(process.execPath, ['-e', "require('net').createServer((s) => s.end()).listen(" + port + ", '127.0.0.1'); setTimeout(() => {}, 1e9); // " + seconds], { detached: true, stdio: 'ignore' }).unref();
  // Node's start under load: wait for the listener (at most 20 s) before the control looks.
  for (let i = 0; i < 200 && (await connect()) !== 'connected'; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(JSON.stringify({ before, left, control: await look() }));
})();`;

interface Case {
  name: PoolBackendName;
  missing: string | false;
  install: string;
}
const CASES: Case[] = [
  { name: 'runc-pool', missing: runcMissing() || compiler, install: INSTALL_RUNC },
  { name: 'docker-pool', missing: dockerMissing() || compiler, install: INSTALL_DOCKER },
];
const MODES: WorkdirMode[] = ['rw', 'overlay', 'ro'];

/** What the two runs of one pool reported: the first run's looks and what it left, the next run's look. */
interface Observed {
  before: Look;
  left: Record<string, unknown> & { root: Record<string, string>; kernel: Record<string, string> };
  control: Look;
  next: Look;
}

/**
 * One pool of `name` in `workdir` mode: a run that leaves state of every kind, then the next run's
 * look. Each case has its own marker, IPC key, port and sleep duration, so the cases do not see
 * each other's state and run side by side (they mostly wait on container starts).
 */
async function observe(name: PoolBackendName, workdir: WorkdirMode, n: number): Promise<Observed> {
  const marker = `sandbox-perf-left-${process.pid}-${n}`;
  const key = String(100_000 + ((process.pid * 10 + n) % 800_000));
  const port = String(20_000 + ((process.pid * 10 + n) % 20_000));
  const seconds = `${900 + n}.${process.pid}`;
  const pool = await createPool(name, { cwd, workdir, size: 1, monitor: recording.monitor });
  try {
    const run = async (mode: string): Promise<Record<string, unknown>> => {
      const { result } = await pool.run(['node', '-e', SCRIPT, mode, marker, key, port, seconds], { timeoutMs: 60_000 });
      expect({ outcome: result.outcome, stderr: result.stderr }).toEqual({ outcome: 'success', stderr: '' });
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const first = (await run('leave')) as Omit<Observed, 'next'>;
    const next = ((await run('look')) as { look: Look }).look;
    return { before: first.before, left: first.left, control: first.control, next };
  } finally {
    await pool.close();
    fs.rmSync(path.join(cwd, marker), { force: true });
  }
}

const observations = new Map<string, Promise<Observed>>();
// Every available case starts at once, before the first block's tests; each block awaits its own.
beforeAll(() => {
  let n = 0;
  for (const { name, missing } of CASES)
    for (const workdir of MODES) {
      n++;
      if (missing) continue;
      const observation = observe(name, workdir, n);
      observation.catch(() => undefined); // awaited (and failed) by its own block
      observations.set(`${name} ${workdir}`, observation);
    }
});

for (const { name, missing, install } of CASES) {
  for (const workdir of MODES) {
    describeWhen(`state left by a run on ${name} (workdir ${workdir}) is not seen by the next run`, missing, install, () => {
      let before: Look;
      let left: Observed['left'];
      let control: Look;
      let next: Look;

      beforeAll(async () => {
        ({ before, left, control, next } = await (observations.get(`${name} ${workdir}`) as Promise<Observed>));
      });

      test('files in the root file system: read-only, nothing written', () => {
        for (const dir of ROOT_PATHS)
          expect({ dir, left: left.root[dir] }).toEqual({ dir, left: expect.stringMatching(/^(EROFS|EACCES)$/) as unknown });
        expect(Object.values(next.root)).not.toContain(true);
      });

      test('/tmp and /dev/shm: written in the run, absent from the next', () => {
        expect([left.tmp, left.shm, control.tmp, control.shm]).toEqual(['written', 'written', true, true]);
        expect([next.tmp, next.shm]).toEqual([false, false]);
      });

      test(`the working directory (${workdir}): ${workdir === 'rw' ? 'the host’s own, so the next run sees the file (by design)' : 'the next run does not see the file'}`, () => {
        if (workdir === 'ro') expect(left.workdir).toBe('EROFS');
        else expect([left.workdir, control.workdir]).toEqual(['written', true]);
        expect(next.workdir).toBe(workdir === 'rw');
      });

      test('processes, daemonised ones included (own session, orphaned): alive after the run, none in the next', () => {
        expect(control.processes).toBeGreaterThanOrEqual(3);
        expect(next.processes).toBe(0);
      });

      test('network state: a listener on loopback answers in the run, not in the next', () => {
        expect([before.network, control.network]).toEqual(['ECONNREFUSED', 'connected']);
        expect(next.network).toBe('ECONNREFUSED');
      });

      test('SysV IPC (shared memory, message queue, semaphores) and a POSIX message queue: made, then gone', () => {
        expect(left.kernel).toMatchObject({ shm: 'made', msg: 'made', sem: 'made', mqueue: 'made' });
        expect(control.kernel).toMatchObject({ shm: 'found', msg: 'found', sem: 'found', mqueue: 'found' });
        expect(next.kernel).toMatchObject({ shm: 'ENOENT', msg: 'ENOENT', sem: 'ENOENT', mqueue: 'ENOENT' });
      });

      test("kernel keyrings: the user's keyring (shared by every process of the uid on the host) cannot be written", () => {
        expect(left.kernel.keyring).toBe('EPERM');
        expect(next.kernel.keyring).toMatch(/^(EPERM|ENOKEY)$/);
      });

      test('mounts: the run cannot mount, the next run has the same mount table as a fresh sandbox', () => {
        expect(left.mount).not.toBe(0);
        expect(next.mounts).toEqual(before.mounts);
      });

      test('cgroup settings: read-only to the run; the next run has its own pids limit', () => {
        expect(left.cgroup).toMatch(/^(EROFS|EACCES)$/);
        expect([before.pidsMax, next.pidsMax]).toEqual(['512', '512']);
      });

      test('the clock and kernel parameters: cannot be changed', () => {
        expect(left.kernel.clock).toBe('EPERM');
        expect(left.sysctl).toMatch(/^(EROFS|EACCES)$/);
      });

      test('host name: cannot be changed', () => {
        expect(left.kernel.hostname).toBe('EPERM');
        expect(next.hostname).not.toBe('sandbox-perf-left');
      });

      test('environment and resource limits: the next run starts with the first run’s, not what it changed', () => {
        expect(left.agentLimits).not.toBe(0);
        expect(next.env).toEqual(before.env);
        expect(next.env).not.toContain('SANDBOX_PERF_LEFT');
        expect(next.limits).toBe(before.limits);
      });
    });
  }
}

describeWhen(
  'the keyring probe on the host (the control: what the pools refuse is real state)',
  process.getuid?.() === 0 ? compiler || toolMissing('setpriv') : 'not root',
  'apt-get install gcc util-linux',
  () => {
    test('a key one process of uid 65534 adds to its user keyring, another process of that uid finds', () => {
      const key = String(900_000 + (process.pid % 90_000));
      const as = (mode: string) =>
        spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', PROBE, mode, key], {
          encoding: 'utf8',
        }).stdout.trim();
      expect(as('key-leave')).toBe('{"keyring":"made"}');
      expect(as('key-look')).toBe('{"keyring":"found"}');
    });
  },
);
