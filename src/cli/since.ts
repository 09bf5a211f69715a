import { UsageError } from './command';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since 90m | 1h | 7d | 2w | 2026-11-01 | 2026-11-01T12:00:00Z` → epoch ms. */
export function parseSince(raw: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(raw.trim());
  if (rel) return now - Number(rel[1]) * (UNITS[rel[2] as string] as number);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const t = Date.parse(raw);
    if (Number.isFinite(t)) return t;
  }
  throw new UsageError(
    `--since expects a duration like 30m, 1h, 7d, 2w or an ISO date like 2026-11-01 or 2026-11-01T12:00:00Z, got ${JSON.stringify(raw)}`,
  );
}
