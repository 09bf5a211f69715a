import { resolutionDifferences, rootText, type CommandResolution, type RootFileSystem } from '../resolution';
import type { BackendName } from '../../runners/types';

const HOST: RootFileSystem = { kind: 'host' };
const IMAGE: RootFileSystem = { kind: 'image', image: 'sandbox-perf/node:local', id: `sha256:${'a'.repeat(64)}`, digest: null };
const OTHER_TAG: RootFileSystem = { kind: 'image', image: 'sandbox-perf/node:other', id: `sha256:${'b'.repeat(64)}`, digest: null };
const NODE = 'c'.repeat(64);

function resolved(backend: BackendName, root: RootFileSystem, program = '/usr/local/bin/node', sha256 = NODE): CommandResolution {
  return { backend, requested: 'node', program, sha256, bytes: 1, root, error: null };
}

describe('resolutionDifferences', () => {
  test('a mitigation pair from the same image, program and bytes is not reported', () => {
    expect(resolutionDifferences([resolved('docker', IMAGE), resolved('docker-warm', IMAGE), resolved('docker-pool', IMAGE)])).toEqual([]);
  });

  test('docker-pool from another image than docker is reported, naming both images', () => {
    const [difference] = resolutionDifferences([
      resolved('docker', IMAGE),
      resolved('docker-pool', OTHER_TAG, '/usr/local/bin/node', 'd'.repeat(64)),
    ]);
    expect(difference).toEqual({
      mitigation: 'docker-pool',
      against: 'docker',
      fields: ['sha256', 'root'],
      details: [
        `sha256: dddddddddddd… ≠ cccccccccccc…`,
        'root: image sandbox-perf/node:other (sha256:bbbbbbbbbbbb…) ≠ image sandbox-perf/node:local (sha256:aaaaaaaaaaaa…)',
      ],
    });
  });

  test("gvisor-pool from the image against gvisor from the host's root: root and path differ", () => {
    const differences = resolutionDifferences([resolved('gvisor', HOST, '/usr/bin/node'), resolved('gvisor-pool', IMAGE)]);
    expect(differences.map((d) => [d.mitigation, d.against, d.fields])).toEqual([['gvisor-pool', 'gvisor', ['program', 'root']]]);
  });

  test('a program found on one side only differs in path and hash', () => {
    const missing = {
      ...resolved('docker-pool', IMAGE),
      program: null,
      sha256: null,
      bytes: null,
      error: 'node is not found in the sandbox',
    };
    expect(resolutionDifferences([resolved('docker', IMAGE), missing])[0]?.details).toEqual([
      'program: not found ≠ /usr/local/bin/node',
      'sha256: not found ≠ cccccccccccc…',
    ]);
  });

  test('backends that mitigate nothing, or whose unmitigated backend was not compared, are not paired', () => {
    expect(resolutionDifferences([resolved('none', HOST), resolved('docker', IMAGE), resolved('gvisor-pool', IMAGE)])).toEqual([]);
  });

  test('rootText names the host, or the image with its digest when it has one', () => {
    expect(rootText(HOST)).toBe('host');
    expect(rootText({ ...IMAGE, digest: 'node@sha256:1234' })).toBe('image sandbox-perf/node:local (node@sha256:1234)');
  });
});
