import { flagExpectation } from '../../validation';
import path from 'node:path';
import { HistoryLacksColumnError, SERIES_METRICS, type SeriesMetric } from '../../state/read/runSeries';
import { detectChangePoints } from '../../stats/changePoints';
import type { ChangePointOptions } from '../../stats/changePointOptions';
import { assertKnownBackend } from '../knownBackend';
import { printable, printableDeep } from '../../printable';
import { parseArgs, type ParsedArgs } from '../args';
import { defineCommand, UsageError, type Command, type CommandIo } from '../command';
import { historyPathFor, DB_HELP } from '../database';
import { changesText, inputChangesText } from '../format/changesText';
import { openHistory, readFailure } from '../openHistory';
import { readSeriesFile } from '../seriesInput';
import { parseSince } from '../since';
import { colours } from '../terminal';

const FLAGS = {
  since: { type: 'string', value: '1h|7d|ISO-DATE' },
  sandbox: { type: 'string', value: 'BACKEND' },
  workload: { type: 'string', value: 'WORKLOAD' },
  metric: { type: 'string', value: 'duration|overhead' },
  input: { type: 'string', value: 'FILE' },
  significance: { type: 'number', min: 1e-300, max: 1, value: 'P' },
  'min-change': { type: 'number', min: 0, value: 'PERCENT' },
  'min-segment': { type: 'integer', min: 2, max: 1000, value: 'N' },
  json: { type: 'boolean' },
  db: { type: 'string', value: 'FILE' },
} as const;

const USAGE = `Usage: sandbox-perf changes [options]
       sandbox-perf changes --input FILE [--json]

Finds the change points of the history: the runs at which a series' level moved and stayed
moved (E-divisive means with a t-test, as Apache Otava; see docs/change-points.md). One series
per workload and backend (runs that name no workload: one per backend); lines newest first, e.g.
  +18 % overhead on docker (npm test) since 2026-12-03 14:05 UTC (p = 0.0003)

Options:
  --since WHEN        only runs that started after WHEN: 30m, 2h30m, 7d, or an ISO date
  --sandbox NAME      only this backend's series
  --workload NAME     only this workload's series: its id (cmd-…) or its label
  --metric M          duration (default), or overhead: duration − the command's own time
  --input FILE        analyse a series from a file instead: CSV with a \`value\` column and an
                      optional \`time\` column (epoch ms or ISO date), or one number per line;
                      decimal numbers only (-1.5e3, not 0x10 or +3), at most 64 MiB
  --significance P    report changes with a p-value below P   [default: 0.001]
  --min-change PCT    smallest change reported, in percent    [default: 2]
  --min-segment N     fewest runs on each side of a change    [default: 6]
  --json              machine-readable output
  --db FILE           ${DB_HELP}
  --help              this text
`;

function detectorOptions(flags: ParsedArgs['flags']): Omit<ChangePointOptions, 'times'> {
  const options: Omit<ChangePointOptions, 'times'> = {};
  if (flags.significance !== undefined) options.significance = flags.significance as number;
  if (flags['min-change'] !== undefined) options.minRelativeChange = (flags['min-change'] as number) / 100;
  if (flags['min-segment'] !== undefined) options.minSegment = flags['min-segment'] as number;
  return options;
}

function runInput(file: string, flags: ParsedArgs['flags'], io: CommandIo): number {
  for (const flag of ['since', 'sandbox', 'workload', 'metric', 'db'] as const) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} reads the history; it cannot be combined with --input`);
  }
  const full = path.resolve(io.cwd, file);
  const series = readSeriesFile(full);
  const changes = detectChangePoints(series.values, { ...detectorOptions(flags), ...(series.times ? { times: series.times } : {}) });
  const lines = series.linesOf(changes.map((c) => c.index));
  if (flags.json) {
    const body = { input: full, values: series.values.length, changes: changes.map((c) => ({ ...c, line: lines.get(c.index) })) };
    io.stdout.write(`${JSON.stringify(printableDeep(body), null, 2)}\n`);
  } else {
    io.stdout.write(inputChangesText(printable(file), changes, lines, series.values.length, colours(io.stdout, io.env)));
  }
  return 0;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseArgs(argv, FLAGS, 'changes');
  const flags = parsed.flags;
  if (parsed.positionals.length > 0 || parsed.command !== null) {
    throw new UsageError(`'changes' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
  }
  if (flags.input !== undefined) return runInput(flags.input as string, flags, io);
  const metric = (flags.metric ?? 'duration') as SeriesMetric;
  if (!SERIES_METRICS.includes(metric)) {
    throw new UsageError(flagExpectation('--metric', `one of ${SERIES_METRICS.join(', ')}`, printable(String(flags.metric))));
  }
  const since = flags.since === undefined ? undefined : parseSince(flags.since as string);
  const backend = flags.sandbox as string | undefined;
  const workload = flags.workload as string | undefined;
  const where = historyPathFor(flags.db, io);
  const reader = openHistory(where);
  try {
    if (backend !== undefined) assertKnownBackend(backend, reader, ['unknown']);
    const series = reader.changes({ since, backend, workload, metric, detector: detectorOptions(flags) });
    if (workload !== undefined && series.length === 0) {
      throw new UsageError(
        `--workload: no runs of workload ${JSON.stringify(printable(workload))}${since === undefined ? '' : ' in the window'}${backend === undefined ? '' : ` on ${printable(backend)}`} (give a workload id like cmd-0123456789ab or its label, e.g. "sleep 0.2")`,
      );
    }
    // Names come from records anyone who can write the file may have forged: escaped for the terminal.
    const view = printableDeep({ db: where.file, since: since === undefined ? null : new Date(since).toISOString(), metric, series });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    } else {
      const header = `Change points of ${metric} in ${view.db}${view.since === null ? '' : ` since ${view.since}`}:`;
      io.stdout.write(
        metric === 'overhead' && series.length === 0
          ? `${header}\nNo run${since === undefined ? '' : ' in the window'} has an overhead: none timed its command (sandbox-perf run and compare do).\n`
          : changesText(view.series, header, colours(io.stdout, io.env)),
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof HistoryLacksColumnError) throw new UsageError(error.message);
    throw error instanceof UsageError ? error : readFailure(where.file, error);
  } finally {
    reader.close();
  }
}

export const changesCommand: Command = defineCommand({
  name: 'changes',
  summary: 'change points of the history (E-divisive + t-test): "+18 % duration on docker since …", newest first',
  usage: USAGE,
  run,
});
