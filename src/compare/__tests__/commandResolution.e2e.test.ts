import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { compareBackends } from '../compareBackends';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import type { BackendName } from '../../runners/types';
import type { CommandResolution } from '../resolution';
import { describeWhen } from '../../../test/support/e2e';
import { dockerImage, gvisorMissing, INSTALL_DOCKER, INSTALL_RUNSC, runscRuntimeMissing } from '../../../test/support/runners';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * compare records what the command resolved to in each real sandbox: `node` through PATH, read
 * back through the sandbox and hashed, and the root it came from. The image carries the host's
 * own node binary (.ci/build-image.sh copies it), so every backend hashes the same bytes, but at
 * /usr/local/bin/node from the image and at the host's path from the host's root.
 */
const hostNode = spawnSync('sh', ['-c', 'command -v node'], {
  encoding: 'utf8',
  env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
}).stdout.trim();
let hostNodeHash: string | undefined;
const nodeHash = (): string => (hostNodeHash ??= createHash('sha256').update(fs.readFileSync(hostNode)).digest('hex'));
const imageId = (): string =>
  spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', dockerImage], { encoding: 'utf8' }).stdout.trim();

const missing = runscRuntimeMissing() || gvisorMissing();
jest.setTimeout(300_000);
// The second and third blocks' comparisons are test.concurrent: jest starts them with the file, so
// they run beside the first block's (each its own directory, backends and pools).

describeWhen(
  'compare records what the command resolved to (none, docker, docker-pool, gvisor, gvisor-pool)',
  missing,
  INSTALL_RUNSC,
  () => {
    let resolutions: Map<BackendName, CommandResolution>;
    let differences: NonNullable<Awaited<ReturnType<typeof compareBackends>>['resolutionDifferences']>;
    beforeAll(async () => {
      const cwd = sandboxDir('resolution');
      const result = await compareBackends({
        backends: ['none', 'docker', 'docker-pool', 'gvisor', 'gvisor-pool'],
        command: ['node', '-e', '0'],
        runs: 1,
        warmup: 0,
        sandbox: { cwd, pool: { size: 1 } },
        monitor: new SandboxPerfMonitor({ sink: false }),
      });
      resolutions = new Map((result.resolutions ?? []).map((r) => [r.backend, r]));
      differences = result.resolutionDifferences ?? [];
    });

    test("none and gvisor: the host's node, from the host's root", () => {
      for (const backend of ['none', 'gvisor'] as const) {
        expect(resolutions.get(backend)).toEqual({
          backend,
          requested: 'node',
          program: hostNode,
          sha256: nodeHash(),
          bytes: fs.statSync(hostNode).size,
          root: { kind: 'host' },
          error: null,
        });
      }
    });

    test("docker and docker-pool: the image's /usr/local/bin/node (the host's bytes), from the image's id", () => {
      for (const backend of ['docker', 'docker-pool'] as const) {
        expect(resolutions.get(backend)).toEqual({
          backend,
          requested: 'node',
          program: '/usr/local/bin/node',
          sha256: nodeHash(),
          bytes: fs.statSync(hostNode).size,
          root: { kind: 'image', image: dockerImage, id: imageId(), digest: null },
          error: null,
        });
      }
    });

    test('gvisor-pool against gvisor is reported as not the same command; docker-pool against docker is not', () => {
      expect(resolutions.get('gvisor-pool')?.root).toEqual({ kind: 'image', image: dockerImage, id: imageId(), digest: null });
      expect(differences).toEqual([
        {
          mitigation: 'gvisor-pool',
          against: 'gvisor',
          fields: hostNode === '/usr/local/bin/node' ? ['root'] : ['program', 'root'],
          details: expect.arrayContaining([expect.stringMatching(/^root: image .* ≠ host$/)]) as string[],
        },
      ]);
    });
  },
);

describeWhen('gvisor over the image root (gvisorRoot image) against gvisor-pool', missing, INSTALL_RUNSC, () => {
  test.concurrent("both run the image's node from the same image: the pair is not reported", async () => {
    const cwd = sandboxDir('resolution-image');
    const result = await compareBackends({
      backends: ['gvisor', 'gvisor-pool'],
      command: ['node', '-e', '0'],
      runs: 1,
      warmup: 0,
      sandbox: { cwd, pool: { size: 1 }, gvisorRoot: 'image' },
      monitor: new SandboxPerfMonitor({ sink: false }),
    });
    const image = { kind: 'image', image: dockerImage, id: imageId(), digest: null };
    expect(result.resolutions?.map((r) => [r.backend, r.program, r.sha256, r.root])).toEqual([
      ['gvisor', '/usr/local/bin/node', nodeHash(), image],
      ['gvisor-pool', '/usr/local/bin/node', nodeHash(), image],
    ]);
    expect(result.resolutionDifferences).toEqual([]);
    expect(result.backends.map((b) => b.failures)).toEqual([0, 0]);
  });
});

describeWhen('a command missing in the sandbox', runscRuntimeMissing(), INSTALL_DOCKER, () => {
  test.concurrent('is recorded as not found, with the root it was looked for in', async () => {
    const cwd = sandboxDir('resolution-missing');
    const result = await compareBackends({
      backends: ['docker'],
      command: ['sandbox-perf-no-such-program'],
      runs: 1,
      warmup: 0,
      sandbox: { cwd },
      monitor: new SandboxPerfMonitor({ sink: false }),
    });
    expect(result.resolutions?.[0]).toMatchObject({
      backend: 'docker',
      program: null,
      sha256: null,
      root: { kind: 'image', id: imageId() },
      error: 'sandbox-perf-no-such-program is not found in the sandbox',
    });
  });
});
