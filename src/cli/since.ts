import { flagExpectation } from '../validation';
import { UsageError } from './command';

/** Prometheus' duration units, largest first (a year is 365 days there too). */
const UNITS: readonly (readonly [string, number])[] = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** `2h30m`, `1w2d`, `90s`, `1.5h`: Prometheus-style, units from largest to smallest, each at most once. */
const COMPOUND = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
/** One unit with a fraction, as earlier versions took (`1.5h`). */
const FRACTION = /^(\d+\.\d+)(ms|[smhdwy])$/;

const EXAMPLES = 'a duration like 30m, 2h30m, 7d, 2w (units ms, s, m, h, d, w, y) or an ISO date like 2026-11-01 or 2026-11-01T12:00:00Z';

/** Milliseconds of a duration, or null when `text` is not one. */
export function parseDuration(text: string): number | null {
  const fraction = FRACTION.exec(text);
  if (fraction) return Number(fraction[1]) * (UNITS.find(([unit]) => unit === fraction[2])?.[1] ?? Number.NaN);
  const parts = COMPOUND.exec(text);
  if (!parts || text === '') return null;
  let ms = 0;
  UNITS.forEach(([, size], i) => {
    const count = parts[i + 1];
    if (count !== undefined) ms += Number(count) * size;
  });
  return ms;
}

/** `--since 90m | 2h30m | 7d | 2026-11-01 | 2026-11-01T12:00:00Z` → epoch ms. */
export function parseSince(raw: string, now = Date.now()): number {
  const text = raw.trim();
  const ms = parseDuration(text);
  if (ms !== null) {
    // Before 1970 nothing was recorded, and past it Date() gives "Invalid time value".
    if (!(ms <= now)) {
      throw new UsageError(
        `${flagExpectation('--since', `a duration that stays after 1970-01-01 (at most ${Math.floor(now / (365 * 86_400_000))}y)`, raw)}, which is out of range`,
      );
    }
    return now - ms;
  }
  const t = calendarTime(text);
  if (t !== null) return t;
  throw new UsageError(flagExpectation('--since', EXAMPLES, raw));
}

/**
 * A date (`2026-02-01`, `2026-02-01T10:00Z`, …) as epoch milliseconds, or null. The day must exist:
 * Date.parse rolls `2026-02-30` over to 2 March, and `--since 2026-02-30` read from then
 * (hostile trial 2026-12-07).
 */
export function calendarTime(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (m === null) return null;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const exists = calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
  return exists ? t : null;
}
