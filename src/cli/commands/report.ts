import { parseArgs } from '../args';
import { defineCommand, UsageError, type Command } from '../command';
import { historyPathFor, DB_HELP } from '../database';
import { openHistory, readFailure } from '../openHistory';
import { assertKnownBackend } from '../knownBackend';
import { reportText } from '../format/reportText';
import { buildHistoryView } from '../historyView';
import { parseSince } from '../since';
import { colours } from '../terminal';

const FLAGS = {
  since: { type: 'string', value: '1h|7d|ISO-DATE' },
  sandbox: { type: 'string', value: 'BACKEND' },
  json: { type: 'boolean' },
  buckets: { type: 'integer', min: 1, max: 1000, value: 'N' },
  db: { type: 'string', value: 'FILE' },
} as const;

export const reportCommand: Command = defineCommand({
  name: 'report',
  summary: 'statistics of the recorded runs: count, mean, p50/p95/p99, max, alerts, per backend and phase',
  usage: `Usage: sandbox-perf report [options]

Reads the SQLite history and prints count, mean, p50/p95/p99 (nearest rank), max and alerts,
overall, per backend and per phase, and a histogram of durations.

Options:
  --since WHEN     only runs that started after WHEN: 30m, 1h, 7d, 2w, or an ISO date
  --sandbox NAME   only runs of this backend
  --buckets N      histogram bins (log scale), 1 to 1000   [default: 10]
  --json           machine-readable output
  --db FILE        ${DB_HELP}
  --help           this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'report');
    if (parsed.positionals.length > 0 || parsed.command !== null) {
      throw new UsageError(`'report' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
    }
    const since = parsed.flags.since === undefined ? undefined : parseSince(parsed.flags.since as string);
    const backend = parsed.flags.sandbox as string | undefined;
    const where = historyPathFor(parsed.flags.db, io);
    const db = where.file;
    const reader = openHistory(where);
    try {
      if (backend !== undefined) assertKnownBackend(backend, reader);
      const view = buildHistoryView(reader, db, {
        ...(since === undefined ? {} : { since }),
        ...(backend === undefined ? {} : { backend }),
        buckets: (parsed.flags.buckets as number | undefined) ?? 10,
      });
      io.stdout.write(parsed.flags.json ? `${JSON.stringify(view, null, 2)}\n` : reportText(view, colours(io.stdout, io.env)));
      return 0;
    } catch (error) {
      throw error instanceof UsageError ? error : readFailure(db, error);
    } finally {
      reader.close();
    }
  },
});
