import { execFileSync } from 'node:child_process';
import { failsCheck, verdict, type Target } from '../../bench/harness';
import { dockerRunArgs } from '../../bench/dockerRunArgs';
import { shellQuote } from '../../bench/printedCommand';
import { resolveSandboxOptions } from '../../src/runners/options';
import { containerSpec } from '../../src/runners/docker/containerSpec';
import { tempDir } from '../support/tempDir';

const target = (value: number, strict?: boolean): Target => ({
  name: 't',
  value,
  op: '<=',
  limit: 1,
  unit: '×',
  ...(strict ? { strict } : {}),
});

describe('bench:check', () => {
  test('a target misses by up to 20 % without failing, unless it is gated without tolerance', () => {
    expect(verdict(target(1.1))).toBe('miss');
    expect(failsCheck(target(1.1))).toBe(false);
    expect(failsCheck(target(1.1, true))).toBe(true);
    expect(failsCheck(target(1.01, true))).toBe(true);
    expect(failsCheck(target(1, true))).toBe(false);
    expect(failsCheck(target(1.3))).toBe(true);
  });
});

describe('the docker run line of the docker scenario', () => {
  test("asks for containerSpec's container, flag by flag", () => {
    const dir = tempDir('bench-docker');
    const spec = containerSpec(
      resolveSandboxOptions({ cwd: dir, memoryBytes: 64 * 2 ** 20, cpus: 0.5 }),
      ['true'],
      'sandbox-perf/x',
      'bench',
      { launcher: null, guard: null },
    );
    const args = dockerRunArgs(spec);
    expect(args.slice(0, 3)).toEqual(['docker', 'run', '--rm']);
    expect(args.slice(-2)).toEqual([spec.Image, 'true']);
    const pairs = (flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));
    expect(pairs('--network')).toEqual(['none']);
    expect(pairs('--log-driver')).toEqual(['none']);
    expect(pairs('--cap-drop')).toEqual(['ALL']);
    expect(pairs('--security-opt')).toEqual(['no-new-privileges']);
    expect(args).toContain('--read-only');
    expect(pairs('--ipc')).toEqual(['private']);
    expect(pairs('--pids-limit')).toEqual(['512']);
    expect(pairs('--tmpfs')).toEqual([`/tmp:rw,nosuid,nodev,size=${64 * 2 ** 20},mode=1777`]);
    expect(pairs('--volume')).toEqual([`${dir}:${dir}:rw`]);
    expect(pairs('--workdir')).toEqual([dir]);
    expect(pairs('--user')).toEqual([spec.User]);
    expect(pairs('--memory')).toEqual([String(64 * 2 ** 20)]);
    expect(pairs('--memory-swap')).toEqual([String(64 * 2 ** 20)]);
    expect(pairs('--cpus')).toEqual(['0.5']);
    expect(pairs('--cgroup-parent')).toEqual(['/sandbox-perf/x']);
    expect(pairs('--env')).toEqual(spec.Env);
  });

  test('a container setting it cannot translate is an error, not a lighter container', () => {
    const spec = containerSpec(resolveSandboxOptions({ cwd: tempDir('bench-docker') }), ['true'], undefined, 'bench', {
      launcher: null,
      guard: null,
    });
    expect(() => dockerRunArgs({ ...spec, HostConfig: { ...spec.HostConfig, Devices: [] } })).toThrow(/HostConfig\.Devices/);
    expect(() => dockerRunArgs({ ...spec, Tty: true })).toThrow(/Tty/);
  });
});

test('shellQuote: a shell splits the quoted line back into the same arguments', () => {
  const argv = ['node', '-e', "console.log('a b')", '$HOME', 'x"y', '', 'plain/path-1.2'];
  const line = argv.map(shellQuote).join(' ');
  const back = execFileSync('sh', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  expect(back.split('\0').slice(0, -1)).toEqual(argv);
});
