import fs from 'node:fs';
import { launcherStatus } from '../host/launcher';
import { runInSandbox } from '../runInSandbox';
import { createBackend } from '../createBackend';
import { detectBackends } from '../detect';
import { BackendNotPreparedError, BackendUnavailableError } from '../errors';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { tempRecording } from '../../../test/support/runners';

const SHAPE = /^Expected `[\w.]+` to be .+, got `.*` \([a-z]+\)$/;
const NO_SOCKET = `/tmp/sandbox-perf-no-engine-${process.pid}.sock`;

describe('bad input throws at once with one message shape, and records nothing', () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  afterEach(() => expect(monitor.getReport().count).toBe(0));

  test.each([
    ['an unknown backend', 'chroot', ['true'], {}, TypeError, /`backend` to be one of 'none', 'unshare'/],
    ['an empty command', 'none', [], {}, TypeError, /`command` to be a non-empty array/],
    ['a command that is not an array', 'none', 'echo hi', {}, TypeError, /`command`.*got `"echo hi"` \(string\)/],
    ['an empty program name', 'none', [''], {}, TypeError, /`command`/],
    ['a negative timeout', 'none', ['true'], { timeoutMs: -1 }, RangeError, /`timeoutMs` to be a finite number >= 1.*got `-1` \(number\)/],
    ['a non-numeric timeout', 'none', ['true'], { timeoutMs: '5s' }, TypeError, /`timeoutMs`.*got `"5s"` \(string\)/],
    ['a NaN timeout', 'none', ['true'], { timeoutMs: Number.NaN }, RangeError, /`timeoutMs`.*got `NaN` \(number\)/],
    [
      'a negative memory limit',
      'none',
      ['true'],
      { memoryBytes: -1 },
      RangeError,
      /`memoryBytes` to be a finite integer >= 6291456.*got `-1`/,
    ],
    ['a non-numeric memory limit', 'docker', ['true'], { memoryBytes: '1g' }, TypeError, /`memoryBytes`.*got `"1g"` \(string\)/],
    ['a zero CPU limit', 'none', ['true'], { cpus: 0 }, RangeError, /`cpus` to be a finite number >= 0.01/],
    [
      'a zero process limit',
      'none',
      ['true'],
      { pidsLimit: 0 },
      RangeError,
      /`pidsLimit` to be a finite integer >= 1 and <= 4194000.*got `0`/,
    ],
    ['a fractional process limit', 'bubblewrap', ['true'], { pidsLimit: 1.5 }, RangeError, /`pidsLimit` to be a finite integer/],
    ['a non-numeric tmpfs size', 'none', ['true'], { tmpSizeBytes: '64m' }, TypeError, /`tmpSizeBytes`.*got `"64m"` \(string\)/],
    [
      'a tmpfs below 1 MiB',
      'unshare',
      ['true'],
      { tmpSizeBytes: 4096 },
      RangeError,
      /`tmpSizeBytes` to be a finite integer >= 1048576.*got `4096`/,
    ],
    ['a non-boolean network', 'none', ['true'], { network: 'yes' }, TypeError, /`network` to be a boolean/],
    [
      'an unknown gvisor root',
      'gvisor',
      ['true'],
      { gvisorRoot: 'container' },
      TypeError,
      /`gvisorRoot` to be one of .*host.*image.*got `"container"`/,
    ],
    ['an env value that is not a string', 'none', ['true'], { env: { A: 1 } }, TypeError, /`env.A` to be a string/],
    ['a bad sandbox id', 'none', ['true'], { sandboxId: '' }, TypeError, /`sandboxId`/],
  ])('%s', async (_what, backend, command, options, kind, message) => {
    const call = runInSandbox(backend as never, command as never, { monitor, ...options } as never);
    await expect(call).rejects.toThrow(kind);
    await expect(call).rejects.toThrow(message);
    await expect(call).rejects.toThrow(SHAPE);
  });

  test.each([
    [{ tiemout: 5 }, 'tiemout', 'timeoutMs'],
    [{ timeout: 5 }, 'timeout', 'timeoutMs'],
    [{ maxOutput: 5 }, 'maxOutput', 'maxOutputBytes'],
    [{ memory: 5 }, 'memory', 'memoryBytes'],
    [{ sandboxID: 'x' }, 'sandboxID', 'sandboxId'],
  ])('an unknown option key %j is a TypeError naming it and the nearest known key (issue 13)', async (options, key, guess) => {
    const call = runInSandbox('none', ['true'], { monitor, ...options });
    await expect(call).rejects.toThrow(TypeError);
    await expect(call).rejects.toThrow(
      new RegExp(
        `^Expected \`options\` to be an object with only the keys .*, got \`"${key}"\` \\(string\\): did you mean \`${guess}\`\\?$`,
      ),
    );
  });

  test('sandbox options next to a backend object are refused (they belong to the backend)', async () => {
    const backend = createBackend('none');
    await expect(runInSandbox(backend, ['true'], { monitor, network: true })).rejects.toThrow(
      /^Expected `options.network` to be unset when a backend object is passed/,
    );
  });

  test('a limit that cannot be enforced is refused, not ignored', async () => {
    await expect(runInSandbox('none', ['true'], { monitor, memoryBytes: 64 * 1024 * 1024, cgroups: false })).rejects.toThrow(
      'none: cannot enforce `memoryBytes`: the `cgroups` option is false',
    );
  });

  test('run() before prepare() says so', async () => {
    const run = createBackend('none').run(['true']);
    await expect(run).rejects.toThrow('none: call prepare() before run()');
    await expect(run).rejects.toBeInstanceOf(BackendNotPreparedError);
  });

  test.each(['docker', 'docker-warm'] as const)('%s asked for with no engine: a clear error naming the socket', async (backend) => {
    const call = runInSandbox(backend, ['true'], { monitor, dockerSocket: NO_SOCKET });
    await expect(call).rejects.toThrow(BackendUnavailableError);
    await expect(call).rejects.toThrow(`${backend}: no engine answers at ${NO_SOCKET} (apt-get install docker.io && dockerd &)`);
  });
});

describe('a command that cannot start', () => {
  test('is recorded as an error with the ENOENT message, in SQLite too', async () => {
    const recording = tempRecording();
    try {
      const { record, result } = await runInSandbox('none', ['sandbox-perf-no-such-command', '--flag'], {
        monitor: recording.monitor,
        sandboxId: 'enoent-1',
        cwd: recording.dir,
      });
      expect(record).toMatchObject({ sandboxId: 'enoent-1', outcome: 'error' });
      expect(result).toMatchObject({ outcome: 'error', exitCode: null, signal: null, error: 'spawn sandbox-perf-no-such-command ENOENT' });
      await recording.db.flush();
      const rows = recording.rows('enoent-1');
      expect(rows.record).toMatchObject({ outcome: 'error' });
      expect(rows.details).toMatchObject({ backend: 'none', exit_code: null, error: 'spawn sandbox-perf-no-such-command ENOENT' });
    } finally {
      await recording.db.close();
      fs.rmSync(recording.dir, { recursive: true, force: true });
    }
    // Starts and stops the history's writer thread: seconds on a loaded 2-CPU machine.
  }, 30_000);
});

describe('detectBackends', () => {
  test('says per backend whether it is available, or why not and the one command that enables it', async () => {
    const found = await detectBackends({ dockerSocket: NO_SOCKET }, ['none', 'docker', 'docker-warm']);
    // Which timer measures commandMs: the C launcher when it was built at install.
    const timer = launcherStatus().path === null ? 'node' : 'launcher';
    expect(found).toEqual([
      { backend: 'none', available: true, reason: null, enable: null, message: 'none: available', timer },
      {
        backend: 'docker',
        available: false,
        reason: `no engine answers at ${NO_SOCKET}`,
        enable: 'apt-get install docker.io && dockerd &',
        message: `docker: no engine answers at ${NO_SOCKET} (apt-get install docker.io && dockerd &)`,
        timer,
      },
      expect.objectContaining({
        backend: 'docker-warm',
        available: false,
        message: `docker-warm: no engine answers at ${NO_SOCKET} (apt-get install docker.io && dockerd &)`,
      }),
    ]);
  });

  test('a pool names the launcher as its timer when it is built (its agent runs commands behind it)', async () => {
    const [pool] = await detectBackends({ dockerSocket: NO_SOCKET }, ['docker-pool']);
    expect(pool).toMatchObject({ backend: 'docker-pool', available: false, timer: launcherStatus().path === null ? 'node' : 'launcher' });
  });

  test('a missing image names the script that builds it', async () => {
    const [docker] = await detectBackends({ image: 'sandbox-perf/absent:none' }, ['docker']);
    if (docker?.reason?.startsWith('no engine')) return; // no engine here: the case above covers it
    expect(docker?.message).toMatch(/^docker: image sandbox-perf\/absent:none is not in the engine at \S+ \(\.ci\/build-image\.sh\)$/);
  });
});
