import { resolutionDifferenceLines, resolutionLine } from '../resolutionText';
import type { CommandResolution } from '../../../compare/resolution';
import { colours } from '../../terminal';

const plain = colours({ isTTY: false } as never, {});

describe('resolution text', () => {
  test("each backend's block says what the command resolved to and from which root", () => {
    const r: CommandResolution = {
      backend: 'docker',
      requested: 'node',
      program: '/usr/local/bin/node',
      sha256: '0123456789abcdef'.repeat(4),
      bytes: 96_200_000,
      root: { kind: 'image', image: 'sandbox-perf/node:local', id: `sha256:${'a'.repeat(64)}`, digest: null },
      error: null,
    };
    expect(resolutionLine(r)).toEqual([
      '  Resolved:           /usr/local/bin/node (sha256 0123456789ab…, 96.2 MB) from image sandbox-perf/node:local (sha256:aaaaaaaaaaaa…)',
    ]);
    expect(resolutionLine({ ...r, program: null, sha256: null, bytes: null, error: 'node is not found in the sandbox' })[0]).toContain(
      'node is not found in the sandbox',
    );
    expect(resolutionLine(undefined)).toEqual([]);
  });

  test('a differing mitigation pair gets a warning line naming what differs; none, no lines', () => {
    const lines = resolutionDifferenceLines(
      [{ mitigation: 'gvisor-pool', against: 'gvisor', fields: ['root'], details: ['root: image x (sha256:1) ≠ host'] }],
      plain,
    );
    expect(lines.join('\n')).toMatch(/Not the same command.*\n {2}gvisor-pool against gvisor: root: image x \(sha256:1\) ≠ host/);
    expect(resolutionDifferenceLines([], plain)).toEqual([]);
  });
});
