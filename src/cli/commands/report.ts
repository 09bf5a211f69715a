import { HistoryReader } from '../../state/HistoryReader';
import { parseArgs } from '../args';
import { UsageError, type Command } from '../command';
import { dbPathFor } from '../database';
import { reportText, type HistoryView } from '../format/reportText';
import { parseSince } from '../since';
import { colours } from '../terminal';
import { printableDeep } from '../../printable';

const FLAGS = {
  since: { type: 'string', value: '1h|7d|ISO-DATE' },
  sandbox: { type: 'string', value: 'BACKEND' },
  json: { type: 'boolean' },
  buckets: { type: 'integer', min: 1, value: 'N' },
  db: { type: 'string', value: 'FILE' },
  help: { type: 'boolean' },
} as const;

export const reportCommand: Command = {
  name: 'report',
  summary: 'statistics of the recorded runs: count, mean, p50/p95/p99, max, alerts, per backend and phase',
  usage: `Usage: sandbox-perf report [options]

Reads the SQLite history and prints count, mean, p50/p95/p99 (nearest rank), max and alerts,
overall, per backend and per phase, and a histogram of durations.

Options:
  --since WHEN     only runs that started after WHEN: 30m, 1h, 7d, 2w, or an ISO date
  --sandbox NAME   only runs of this backend
  --buckets N      histogram buckets   [default: 10]
  --json           machine-readable output
  --db FILE        history file   [default: $SANDBOX_PERF_DB or ./.sandbox-perf/state.db]
  --help           this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'report');
    if (parsed.flags.help) {
      io.stdout.write(this.usage);
      return 0;
    }
    if (parsed.positionals.length > 0 || parsed.command !== null) {
      throw new UsageError(`'report' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
    }
    const since = parsed.flags.since === undefined ? undefined : parseSince(parsed.flags.since as string);
    const backend = parsed.flags.sandbox as string | undefined;
    const db = dbPathFor(parsed.flags.db, io);
    const reader = new HistoryReader(db);
    try {
      const window = { ...(since === undefined ? {} : { since }), ...(backend === undefined ? {} : { backend }) };
      // Names come from records anyone who can write the file may have forged: escaped for the terminal.
      const view: HistoryView = printableDeep({
        db,
        since: since === undefined ? null : new Date(since).toISOString(),
        backend: backend ?? null,
        overall: reader.report(window),
        byBackend: reader.byBackend(since === undefined ? {} : { since }).filter((b) => backend === undefined || b.backend === backend),
        phases: reader.phases(window),
        histogram: reader.histogram(window, (parsed.flags.buckets as number | undefined) ?? 10),
      });
      io.stdout.write(parsed.flags.json ? `${JSON.stringify(view, null, 2)}\n` : reportText(view, colours(io.stdout, io.env)));
      return 0;
    } finally {
      reader.close();
    }
  },
};
