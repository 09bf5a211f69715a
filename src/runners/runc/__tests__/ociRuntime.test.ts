import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { INSTALL_RUNC, runcMissing, toolMissing } from '../../../../test/support/runners';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { BackendUnavailableError } from '../../errors';
import { createPool } from '../../pool/createPool';
import { ociRuntime, RUNTIME_SETTING, type OciRuntimeName } from '../ociRuntime';
import { RUNC_BUNDLES, RUNTIME_STATES } from '../runcCli';
import { sandboxDir } from '../../../../test/support/tempDir';

const HYBRID = fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
const saved = { ...process.env };
const dirs: string[] = [];
afterEach(() => {
  process.env = { ...saved };
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = sandboxDir('oci');
  dirs.push(dir);
  return dir;
}

/** An executable file named crun (never run by these tests: the choice only looks for it). */
function fakeCrun(): string {
  const file = path.join(tempDir(), 'crun');
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

describe('which OCI runtime runc-pool uses', () => {
  test('crun when it is found, under native/crunv1.c on a hybrid cgroup host, with its own state root', () => {
    process.env.SANDBOX_PERF_CRUN = fakeCrun();
    delete process.env.SANDBOX_PERF_OCI_RUNTIME;
    const runtime = ociRuntime();
    expect(runtime).toMatchObject({ name: 'crun', binary: process.env.SANDBOX_PERF_CRUN, state: '/run/sandbox-perf-runc/crun' });
    if (HYBRID) expect(runtime.prefix).toEqual([expect.stringMatching(/native\/bin\/sandbox-perf-crunv1$/)]);
    else expect(runtime.prefix).toEqual([]);
  });

  test('runc when crun is absent, saying why', () => {
    process.env.SANDBOX_PERF_CRUN = path.join(tempDir(), 'no-crun-here');
    delete process.env.SANDBOX_PERF_OCI_RUNTIME;
    const runtime = ociRuntime();
    expect(runtime).toMatchObject({ name: 'runc', prefix: [], state: '/run/sandbox-perf-runc/state' });
    expect(runtime.why).toContain('no-crun-here');
  });

  test('a crun in the current directory is not taken from a relative PATH entry (it may be what a run wrote)', () => {
    const here = process.cwd();
    const planted = path.dirname(fakeCrun());
    delete process.env.SANDBOX_PERF_CRUN;
    delete process.env.SANDBOX_PERF_OCI_RUNTIME;
    process.env.PATH = ['.', '', 'relative/bin'].join(path.delimiter);
    process.chdir(planted);
    try {
      expect(ociRuntime()).toMatchObject({ name: 'runc', why: 'crun not used: no crun on the PATH' });
    } finally {
      process.chdir(here);
    }
  });

  test(`${RUNTIME_SETTING}=runc keeps runc although crun is there; =crun without crun is an error naming it`, () => {
    process.env.SANDBOX_PERF_CRUN = fakeCrun();
    process.env[RUNTIME_SETTING] = 'runc';
    expect(ociRuntime().name).toBe('runc');
    process.env.SANDBOX_PERF_CRUN = '/nonexistent/crun';
    process.env[RUNTIME_SETTING] = 'crun';
    expect(() => ociRuntime()).toThrow(`${RUNTIME_SETTING}=crun, but no /nonexistent/crun on the PATH`);
  });

  test('another value is refused in the validation shape', () => {
    process.env[RUNTIME_SETTING] = 'youki';
    expect(() => ociRuntime()).toThrow(
      new TypeError(
        `Expected \`${RUNTIME_SETTING}\` to be \`crun\`, \`runc\` or unset (crun when it can run here, else runc), got \`"youki"\` (string)`,
      ),
    );
  });
});

/** This process's runc-pool containers: in each runtime's state root, as bundles, as cgroup groups. */
function leftHere(): string[] {
  const prefix = `runc-${process.pid}.`;
  const ours = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((id) => id.startsWith(prefix)) : []);
  const left = [...RUNTIME_STATES, RUNC_BUNDLES].flatMap((dir) => ours(dir).map((id) => path.join(dir, id)));
  for (const controller of fs.readdirSync('/sys/fs/cgroup')) {
    const parent = path.join('/sys/fs/cgroup', controller, 'sandbox-perf');
    left.push(...ours(parent).map((id) => path.join(parent, id)));
  }
  return left;
}

const both = runcMissing() || toolMissing('crun') || toolMissing('runc');
describeWhen('runc-pool on crun and on runc (real containers)', both, INSTALL_RUNC, () => {
  const monitor = new SandboxPerfMonitor({ sink: false });

  test('by default it runs crun, and says so in health()', async () => {
    delete process.env.SANDBOX_PERF_OCI_RUNTIME;
    const pool = await createPool('runc-pool', { cwd: tempDir(), size: 1, monitor });
    try {
      expect(pool.health().runtime).toBe('crun');
      expect(fs.readdirSync('/run/sandbox-perf-runc/crun').filter((id) => id.startsWith(`runc-${process.pid}.`))).toHaveLength(1);
    } finally {
      await pool.close();
    }
  }, 60_000);

  test('crun stays attached to its container; killed, the removal still leaves nothing (crun delete --force)', async () => {
    delete process.env.SANDBOX_PERF_OCI_RUNTIME;
    const pool = await createPool('runc-pool', { cwd: tempDir(), size: 1, monitor });
    try {
      const attached = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((line) => /crun --root \S+ run --bundle /.test(line) && line.includes(`runc-${process.pid}.`));
      expect(attached).toHaveLength(1);
      process.kill(Number(attached[0]?.trim().split(' ')[0]), 'SIGKILL');
    } finally {
      await pool.close();
    }
    expect(leftHere()).toEqual([]);
  }, 60_000);

  test(`${RUNTIME_SETTING}=crun without crun: the pool is unavailable, the backend named once`, async () => {
    process.env.SANDBOX_PERF_CRUN = '/nonexistent/crun';
    process.env[RUNTIME_SETTING] = 'crun';
    const refused = createPool('runc-pool', { cwd: tempDir(), size: 1, monitor });
    await expect(refused).rejects.toThrow(BackendUnavailableError);
    // Before: `runc-pool: runc-pool: SANDBOX_PERF_OCI_RUNTIME=crun, …`.
    await expect(refused).rejects.toThrow(/^runc-pool: SANDBOX_PERF_OCI_RUNTIME=crun, but no \/nonexistent\/crun on the PATH \(/);
  });

  test('a crun that ends before the agent connects fails the start, quoting what it said', async () => {
    const crun = path.join(tempDir(), 'crun');
    fs.writeFileSync(crun, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "crun: this crun refuses everything" >&2\nexit 1\n', {
      mode: 0o755,
    });
    process.env.SANDBOX_PERF_CRUN = crun;
    process.env.SANDBOX_PERF_OCI_RUNTIME = 'crun';
    await expect(createPool('runc-pool', { cwd: tempDir(), size: 1, monitor })).rejects.toThrow(
      'crun run exited with 1 before the agent connected: crun: this crun refuses everything',
    );
    await expect(createPool('runc-pool', { cwd: tempDir(), size: 1, monitor })).rejects.toThrow(
      `${RUNTIME_SETTING}=runc starts runc-pool's containers with runc instead`,
    );
    expect(leftHere()).toEqual([]);
  }, 60_000);

  test.each<OciRuntimeName>(['crun', 'runc'])(
    '%s: the same limits, capabilities and seccomp in the container, and nothing left after close',
    async (name) => {
      process.env[RUNTIME_SETTING] = name;
      const pool = await createPool('runc-pool', { cwd: tempDir(), size: 1, monitor, pidsLimit: 77, memoryBytes: 96 * 2 ** 20 });
      try {
        expect(pool.health().runtime).toBe(name);
        const { result } = await pool.run([
          'sh',
          '-c',
          'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes; id -u',
        ]);
        expect(result.stderr).toBe('');
        expect(result.stdout.trim().split('\n')).toEqual([
          'CapEff:\t0000000000000000',
          'CapBnd:\t00000000000000e0',
          'NoNewPrivs:\t1',
          'Seccomp:\t2',
          '77',
          String(96 * 2 ** 20),
          '65534',
        ]);
      } finally {
        await pool.close();
      }
      expect(leftHere()).toEqual([]);
    },
    60_000,
  );
});
