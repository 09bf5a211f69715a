import fs from 'node:fs';
import path from 'node:path';
import { startStopBench } from './startStop';
import { activeRunsBench } from './activeRuns';
import { getReportBench } from './getReport';
import { memoryBench } from './memory';
import {
  CHECK_TOLERANCE,
  describeMachine,
  formatTargetValue,
  machine,
  markdownTable,
  verdict,
  type ScenarioResult,
  type Target,
} from './harness';

/** What bench/persistence.ts's `persistenceBench()` resolves to (the persistence issue's figures). */
export interface PersistenceFigures {
  rowsPerSecond: number;
  stopAddedNsMedian: number;
  loopDelayP99Ms: number;
  /** Tables and notes for docs/benchmarks.md. */
  markdown?: string;
}

/** What bench/compare.ts's `compareBench()` resolves to (the CLI issue's figure). */
export interface CompareFigures {
  sandboxPerfMedianMs: number;
  /** null when hyperfine is not installed. */
  hyperfineMedianMs: number | null;
  markdown?: string;
}

const SCENARIOS = ['startStop', 'activeRuns', 'getReport', 'memory', 'persistence', 'compare'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function numberField(value: unknown, field: string): number | undefined {
  const v = (value as Record<string, unknown> | null)?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function markdownField(value: unknown): string {
  const v = (value as Record<string, unknown> | null)?.markdown;
  return typeof v === 'string' ? v : '';
}

/**
 * Loads an optional scenario written by another engineer. A path held in a variable keeps tsc from
 * resolving it, so the suite builds and runs whether or not the file exists yet.
 */
async function loadOptional(file: string, exportName: string): Promise<(() => Promise<unknown>) | string> {
  const compiled = path.join(__dirname, `${file}.js`);
  if (!fs.existsSync(compiled)) return `bench/${file}.ts is not there yet: skipped`;
  const specifier = `./${file}`;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') return `bench/${file}.ts does not export ${exportName}(): skipped`;
  return fn as () => Promise<unknown>;
}

async function persistenceScenario(): Promise<ScenarioResult> {
  const loaded = await loadOptional('persistence', 'persistenceBench');
  const note = typeof loaded === 'string' ? loaded : undefined;
  const figures = typeof loaded === 'string' ? undefined : await loaded();
  const missing = (field: string): string => note ?? `persistenceBench() returned no finite \`${field}\``;
  const target = (name: string, field: keyof PersistenceFigures, op: Target['op'], limit: number, unit: string): Target => {
    const value = numberField(figures, field);
    return { name, value, op, limit, unit, ...(value === undefined ? { note: missing(field) } : {}) };
  };
  return {
    title: 'Persistence',
    markdown: note ?? markdownField(figures),
    targets: [
      target('persistence throughput, 1 000 000 records', 'rowsPerSecond', '>=', 200_000, 'rows/s'),
      target('ns that persistence adds to stop() (median)', 'stopAddedNsMedian', '<=', 50, 'ns'),
      target('p99 event-loop delay while persisting', 'loopDelayP99Ms', '<=', 5, 'ms'),
    ],
  };
}

async function compareScenario(): Promise<ScenarioResult> {
  const loaded = await loadOptional('compare', 'compareBench');
  const note = typeof loaded === 'string' ? loaded : undefined;
  const figures = typeof loaded === 'string' ? undefined : await loaded();
  const ours = numberField(figures, 'sandboxPerfMedianMs');
  const theirs = numberField(figures, 'hyperfineMedianMs');
  const value = ours !== undefined && theirs !== undefined && theirs > 0 ? (Math.abs(ours - theirs) / theirs) * 100 : undefined;
  const why =
    note ??
    (theirs === undefined ? 'no hyperfine median (is hyperfine installed?)' : 'compareBench() returned no finite `sandboxPerfMedianMs`');
  return {
    title: 'compare against hyperfine',
    markdown: note ?? markdownField(figures),
    targets: [
      {
        name: '`compare` median vs hyperfine median, absolute difference',
        value,
        op: '<=',
        limit: 5,
        unit: '%',
        ...(value === undefined ? { note: why } : {}),
      },
    ],
  };
}

const RUNNERS: Record<ScenarioName, () => Promise<ScenarioResult>> = {
  startStop: startStopBench,
  activeRuns: activeRunsBench,
  getReport: getReportBench,
  memory: memoryBench,
  persistence: persistenceScenario,
  compare: compareScenario,
};

function parseArgs(argv: readonly string[]): { check: boolean; only: ScenarioName[] | undefined } {
  let check = false;
  let only: ScenarioName[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') {
      check = true;
    } else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = names.find((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (names.length === 0 || bad !== undefined) {
        throw new TypeError(`Expected \`--only\` to be a comma-separated list of ${SCENARIOS.join(', ')}, got \`${argv[i] ?? ''}\``);
      }
      only = names as ScenarioName[];
    } else {
      throw new TypeError(`Unknown argument \`${arg}\`: expected --check and/or --only <${SCENARIOS.join('|')}>[,...]`);
    }
  }
  return { check, only };
}

function targetsTable(targets: readonly Target[]): string {
  const rows = targets.map((t) => [
    t.name,
    `${t.op} ${formatTargetValue(t.limit, t.unit)}`,
    formatTargetValue(t.value, t.unit),
    verdict(t),
    t.note ?? '',
  ]);
  return markdownTable(['target', 'limit', 'measured', 'verdict', 'note'], rows, [false, true, true, false, false]);
}

function document(machineLine: string, results: readonly ScenarioResult[], targets: readonly Target[], seconds: number): string {
  return [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts); edits by hand are overwritten. -->',
    '',
    `Measured on: ${machineLine}. The whole suite took ${seconds.toFixed(0)} s.`,
    '',
    'Contenders run interleaved in one process, warm-up samples discarded, medians of at least 7 samples; ratios are',
    'medians divided, ± the spread (1.4826 × MAD) of both sides propagated. This machine is a shared 2-core VM: expect',
    'run-to-run differences of 10-30 % on the nanosecond figures; the ratios within one run are the reliable part.',
    '',
    '## Targets',
    '',
    `\`npm run bench:check\` exits non-zero when a target is missed by more than ${CHECK_TOLERANCE * 100} %.`,
    '',
    targetsTable(targets),
    '',
    ...results.flatMap((r) => [`## ${r.title}`, '', r.markdown, '']),
    '## Reproduce',
    '',
    '```sh',
    'npm run bench        # prints the tables and rewrites this file',
    'npm run bench:check  # the same, and fails on a target missed by more than 20 %',
    '```',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { check, only } = parseArgs(process.argv.slice(2));
  const m = machine();
  const machineLine = describeMachine(m);
  console.log(`sandbox-perf benchmarks\n${machineLine}\n`);
  const t0 = performance.now();
  const results: ScenarioResult[] = [];
  let failed = false;
  for (const name of only ?? SCENARIOS) {
    console.log(`\n== ${name} ==`);
    try {
      results.push(await RUNNERS[name]());
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`bench ${name} failed: ${message}`);
      results.push({ title: name, markdown: `This scenario failed: \`${String(error)}\``, targets: [] });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const targets = results.flatMap((r) => r.targets);
  console.log(`\n${targetsTable(targets)}\n`);
  if (only === undefined) {
    const out = path.resolve(__dirname, '..', '..', 'docs', 'benchmarks.md');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, document(machineLine, results, targets, seconds));
    console.log(`wrote ${path.relative(process.cwd(), out)} (${seconds.toFixed(0)} s)`);
  } else {
    console.log('--only given: docs/benchmarks.md left as it was');
  }
  const missed = targets.filter((t) => verdict(t) === 'miss > 20 %');
  if (check && (missed.length > 0 || failed)) {
    console.error(
      `bench:check: ${missed.length} target(s) missed by more than ${CHECK_TOLERANCE * 100} %${failed ? ', and a scenario failed' : ''}`,
    );
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
