import { UsageError } from '../command';
import { parseDuration, parseSince } from '../since';
import { resolveDbPath } from '../../state/StateDatabase';
import { defaultDbPath } from '../../state/dbPath';

const NOW = Date.UTC(2026, 11, 1);

describe('--since', () => {
  test.each([
    ['90s', 90_000],
    ['2h30m', 9_000_000],
    ['1w2d', 9 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['1h500ms', 3_600_500],
    ['1.5h', 5_400_000],
    ['0m', 0],
  ])('%s is %i ms (Prometheus-style)', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseSince(text, NOW)).toBe(NOW - ms);
  });

  test.each(['', '1h30', '30m2h', '1hh', '2 h', 'h', '-1h', '1e3s', '0x10m'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  test('99999999999999999999w is out of range, as a UsageError naming the limit', () => {
    expect(() => parseSince('99999999999999999999w', NOW)).toThrow(UsageError);
    expect(() => parseSince('99999999999999999999w', NOW)).toThrow(
      /^Expected `--since` to be a duration that stays after 1970-01-01 \(at most 56y\), got `"99999999999999999999w"`, which is out of range$/,
    );
  });

  test('an ISO date is taken as it is', () => {
    expect(parseSince('2026-11-01T12:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 1, 12));
  });
});

describe('SANDBOX_PERF_DB= (empty) means unset', () => {
  const saved = process.env.SANDBOX_PERF_DB;
  afterEach(() => {
    if (saved === undefined) delete process.env.SANDBOX_PERF_DB;
    else process.env.SANDBOX_PERF_DB = saved;
  });

  test('the library falls back to the default path', () => {
    process.env.SANDBOX_PERF_DB = '';
    expect(resolveDbPath()).toBe(defaultDbPath());
  });
});

// A hostile trial of 2026-12-07: Date.parse rolled impossible days over (2026-02-30 read as 2 March).
test('a date that does not exist is refused; a leap day that does is read', () => {
  for (const text of ['2026-02-30', '2026-04-31', '2026-02-31T10:00:00Z', '2025-02-29']) {
    expect(() => parseSince(text, NOW)).toThrow(/^Expected `--since` to be a duration like/);
  }
  expect(parseSince('2024-02-29', NOW)).toBe(Date.UTC(2024, 1, 29));
  expect(parseSince('2026-11-30T12:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 30, 12));
});
