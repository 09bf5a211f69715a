import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/stats/descriptive';
import { detectBackends } from '../src/runners/detect';
import { sandboxEnv } from '../src/runners/environment';
import { resolveSandboxOptions } from '../src/runners/options';
import { containerSpec } from '../src/runners/docker/containerSpec';
import { guardPath } from '../src/runners/host/guard';
import { hasHyperfine, hyperfineMedianMs, hyperfineTimesMs, markdownTable, measuredOn, type ScenarioResult, type Target } from './harness';
import { dockerRunArgs } from './dockerRunArgs';
import { shellQuote } from './printedCommand';

/*
 * Our `docker` backend against the Docker CLI (issue 27): `sandbox-perf compare --sandbox docker`
 * against `hyperfine -N 'docker run --rm …'` asking the engine for the same container (containerSpec,
 * flag by flag: bench/dockerRunArgs.ts), alternating rounds in one run. The CLI gets neither the
 * launcher (our timer) nor our accounting group: they cost only us. Ours must not be slower.
 */

const RUNS = 6;
const ROUNDS = 6;
const COMMAND = ['true'];

interface PhaseMedian {
  phase: string;
  medianMs: number;
}

function oursRound(cli: string, dir: string, round: number): { durationsMs: number[]; phases: PhaseMedian[] } {
  // The history and the export beside the working directory: a history inside it is refused (the sandboxes bind it writable).
  const out = path.join(dir, '..', `docker-${round}.json`);
  const args = ['compare', '--sandbox', 'docker', '--runs', String(RUNS), '--warmup', '1', '--db', path.join(dir, '..', 'bench.db')];
  execFileSync(process.execPath, [cli, ...args, '--export-json', out, '--', ...COMMAND], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { backends: { durationsMs: number[]; phases: PhaseMedian[] }[] };
  const backend = result.backends[0];
  return { durationsMs: backend?.durationsMs ?? [], phases: backend?.phases ?? [] };
}

export async function dockerRunBench(): Promise<ScenarioResult> {
  // Where and when, with the load before the first round; the load after the last is added below.
  const measured = measuredOn('dockerRun');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-docker-'));
  const dir = path.join(root, 'work');
  fs.mkdirSync(dir);
  const cli = path.resolve(__dirname, '../src/cli/main.js');
  const [docker] = await detectBackends({ cwd: dir }, ['docker']);
  const title = 'docker against docker run --rm';
  if (!docker?.available || !hasHyperfine()) {
    fs.rmSync(root, { recursive: true, force: true });
    const why = docker?.available
      ? 'hyperfine is not installed (apt-get install hyperfine)'
      : `docker is not available: ${docker?.reason ?? ''}`;
    return {
      title,
      markdown: `Not measured: ${why}.`,
      targets: [
        {
          name: 'docker: compare median / docker run --rm median',
          value: undefined,
          op: '<=',
          limit: 1,
          unit: '×',
          strict: true,
          note: why,
        },
      ],
    };
  }
  const line = dockerRunArgs(
    containerSpec(resolveSandboxOptions({ cwd: dir }), COMMAND, undefined, 'bench', { launcher: null, guard: guardPath() }),
  )
    .map(shellQuote)
    .join(' ');
  // Every run of every round (pooled), and each round's median.
  const ours: number[] = [];
  const theirs: number[] = [];
  const oursRounds: number[] = [];
  const theirsRounds: number[] = [];
  const phases: PhaseMedian[][] = [];
  let cliAlone = Number.NaN;
  try {
    // The Docker CLI's own share, for reference: its start and one request (our share is phase client).
    cliAlone = hyperfineMedianMs(['docker', 'version', '--format', '{{.Server.Version}}'], {
      runs: RUNS * 2,
      warmup: 1,
      dir,
      env: sandboxEnv(dir),
    });
    for (let round = 0; round < ROUNDS; round++) {
      const cliRound = (): void => {
        const times = hyperfineTimesMs(line, { runs: RUNS, warmup: 1, dir, env: sandboxEnv(dir) });
        theirs.push(...times);
        theirsRounds.push(median(times));
      };
      if (round % 2 === 1) cliRound();
      const r = oursRound(cli, dir, round);
      ours.push(...r.durationsMs);
      oursRounds.push(median(r.durationsMs));
      phases.push(r.phases);
      if (round % 2 === 0) cliRound();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const value = median(ours) / median(theirs);
  const names = [...new Set(phases.flat().map((p) => p.phase))];
  const phaseRows = names.map((name) => [name, median(phases.map((ps) => ps.find((p) => p.phase === name)?.medianMs ?? 0)).toFixed(2)]);
  const markdown = [
    `${measured} Load average after the last round: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')}.`,
    '',
    `\`sandbox-perf compare --sandbox docker --runs ${RUNS} --warmup 1 -- ${COMMAND.join(' ')}\` against \`hyperfine -N --runs ${RUNS} --warmup 1\``,
    `on the \`docker run --rm\` line below (the container containerSpec asks for, without our timer or accounting group), ${ROUNDS}`,
    'rounds alternating which goes first. hyperfine times the Docker CLI process: its start, its requests to the engine, the',
    "container's life and its removal; `compare` times our backend's requests, the same container's life and its removal.",
    '',
    `\`${line}\``,
    '',
    markdownTable(
      ['round', '`compare --sandbox docker` median [ms]', '`docker run --rm` median [ms]'],
      oursRounds.map((o, i) => [String(i + 1), o.toFixed(1), theirsRounds[i]?.toFixed(1) ?? 'n/a']),
      [true, true, true],
    ),
    '',
    `Median of every run of every round: ours ${median(ours).toFixed(1)} ms, docker run ${median(theirs).toFixed(1)} ms (${value.toFixed(2)} ×).`,
    '',
    'Where our runs went (phase medians, ms; median over the rounds): `client` is our own share around the',
    "engine's (building and parsing JSON, the streams, awaiting); reading and removing our accounting group is after the record",
    "(untimed teardown: `--json`'s `untimed`), in no phase. For reference,",
    `\`hyperfine -N 'docker version --format …'\`, the Docker CLI's start and one request, took ${cliAlone.toFixed(1)} ms (median of ${RUNS * 2}).`,
    '',
    markdownTable(['phase', 'median [ms]'], phaseRows, [false, true]),
  ].join('\n');
  const target: Target = { name: 'docker: compare median / docker run --rm median', value, op: '<=', limit: 1, unit: '×', strict: true };
  return { title, markdown, targets: [target] };
}

if (require.main === module) {
  void dockerRunBench().then((f) => process.stdout.write(`${f.markdown}\n`));
}
