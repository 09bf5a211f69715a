import { colours } from '../../terminal';
import { isolationLines } from '../isolationText';
import { summaryLines } from '../summaryText';
import type { BackendRounds } from '../../../compare/summarizeBackends';
import { fixtureComparison as comparison, fixtureRounds as rounds } from '../../../../test/support/comparisonFixture';

const plain = colours({ isTTY: false } as never, {});

/** Rounds with the command's own time, 2 ms around it; `null` a failed round. */
function timed(backend: BackendRounds['backend'], commandMs: (number | null)[]): BackendRounds {
  return {
    ...rounds(
      backend,
      commandMs.map((c) => (c === null ? null : c + 2)),
    ),
    commandMs,
  };
}

describe('the pair counts compare prints are each backend’s own', () => {
  test('zero pairs never read as one: no round where both succeeded', () => {
    const text = summaryLines(
      comparison([rounds('none', [10, null, 12, null, 14, null]), rounds('bubblewrap', [null, 40, null, 42, null, 44])]),
      plain,
    ).join('\n');
    expect(text).toMatch(/Summary \(against none; no paired round, so no interval\)/);
    expect(text).toMatch(
      /bubblewrap\s+[\d.]+ ± [\d.]+ times slower than none \(no paired round, no round where both succeeded: no interval, no test\)/,
    );
    expect(text).not.toMatch(/0 paired round|one paired run/);
  });

  test('the header counts every backend, not the first: "up to" the most, and a backend with fewer names its own', () => {
    const text = summaryLines(
      comparison([
        rounds('none', [10, 11, 12, 10, 11, 12]),
        rounds('docker', [null, null, null, 50, 52.5, 51.2]),
        rounds('unshare', [10.5, 11.5, 12.5, 10.6, 11.4, 12.3]),
      ]),
      plain,
    ).join('\n');
    expect(text).toMatch(/95 % intervals from up to 6 paired round\(s\)\)/);
    expect(text).toMatch(/\+\d+\.\d\d ms per run \[[^\]]+\] \(3 paired round\(s\)\)/);
    expect(text).not.toMatch(/unshare[^\n]*\(6 paired/);
    const same = summaryLines(comparison([rounds('none', [10, 11, 12]), rounds('docker', [50, 52, 51])]), plain).join('\n');
    expect(same).toMatch(/95 % intervals from 3 paired round\(s\)\)/);
    expect(same).not.toMatch(/up to|\(3 paired/);
  });

  test("isolation: none's rounds against itself are not counted as pairs of another backend", () => {
    const result = comparison([timed('none', [10, 11, 12, 10, 11]), timed('bubblewrap', [null, null, null, 15, 16])]);
    const text = isolationLines(result, plain).join('\n');
    expect(text).toMatch(/95 % interval of the total from 2 paired round\(s\);/);
    expect(text).not.toMatch(/up to 5/);
    const two = comparison([
      timed('none', [10, 11, 12, 10, 11]),
      timed('bubblewrap', [null, null, null, 15, 16]),
      timed('unshare', [11, 12, 13, 11, 12]),
    ]);
    const lines = isolationLines(two, plain).join('\n');
    expect(lines).toMatch(/from up to 5 paired round\(s\);/);
    expect(lines).toMatch(/bubblewrap +total [^\n]+ \(2 paired round\(s\)\)$/m);
    expect(lines).toMatch(/unshare +total [^\n]+ms$/m);
  });
});
