import os from 'node:os';
import { DEFAULT_ROUNDS, RUNS_PER_ROUND, runCalibration } from '../../calibrate/runCalibration';
import { fitCalibration } from '../../calibrate/fitCalibration';
import { CLASSES } from '../../calibrate/classes';
import type { Calibration } from '../../calibrate/calibration';
import { machineFingerprint } from '../../machine/fingerprint';
import { noiseWarnings } from '../../machine/noise';
import { detectBackends } from '../../runners/detect';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { saveCalibration } from '../../state/calibrationStore';
import { parseArgs } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { defineCommand, UsageError, type Command } from '../command';
import { assertUsableHistory, historyPathFor, DB_HELP } from '../database';
import { calibrationText } from '../format/calibrationText';
import { progressBar } from '../terminal';
import { version } from '../version';

const FLAGS = {
  sandbox: { type: 'list', value: 'BACKENDS' },
  rounds: { type: 'integer', min: 2, max: 100, value: 'N' },
  // At 10 the write workload writes 800 MiB a run, which gVisor holds in its memory overlay.
  scale: { type: 'number', min: 0.001, max: 10, value: 'FACTOR' },
  json: { type: 'boolean' },
  db: { type: 'string', value: 'FILE' },
} as const;

export const calibrateCommand: Command = defineCommand({
  name: 'calibrate',
  summary: "time small workloads on each backend and fit each operation's cost (CPU, system calls, stats, opens, process starts, …)",
  usage: `Usage: sandbox-perf calibrate [--sandbox LIST] [--rounds N] [--json] [--db FILE]

Runs small workloads (native/calib.c) on each backend, each at two sizes, interleaved across the
backends: ${CLASSES.map((c) => c.name).join(', ')}, and the program's start. Each round, one run
per backend does every workload at both sizes, each timed by the program (a backend's start is
paid once a round), and two runs time the start. Per backend and
class, a least-squares line of the workload's time against the operations done gives each
operation's cost with its 95 % interval, and against 'none' what isolation adds per operation. The fit is stored in the history with the
machine's fingerprint ('sandbox-perf predict' reads it); a class whose line is poor (R² below
0.9, or an interval wider than ±30 % of its cost) is flagged. See docs/calibration.md.

Options:
  --sandbox LIST   backends, comma-separated; 'none' is always added as the baseline
                   [default: every backend available here]
                   (${backendList(BACKEND_NAMES, '                   ', 90)})
  --rounds N       times each workload and size runs on each backend (at least 2; with N
                   rounds each class's line has 2N - 2 degrees of freedom)   [default: ${DEFAULT_ROUNDS}]
  --scale FACTOR   multiply every workload's size, up to 10 (smaller: quicker, wider intervals)
                   [default: 1]
  --json           the calibration as JSON
  --db FILE        ${DB_HELP}
  --help           this text

Examples:
  sandbox-perf calibrate
  sandbox-perf calibrate --sandbox bubblewrap,gvisor --json
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'calibrate');
    if (parsed.positionals.length > 0 || parsed.command !== null) {
      throw new UsageError(`'calibrate' runs its own workloads and takes no command, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
    }
    const asked = parsed.flags.sandbox === undefined ? null : parseBackends(parsed.flags.sandbox);
    const where = historyPathFor(parsed.flags.db, io);
    assertUsableHistory(where);
    let backends = asked === null ? null : ['none' as const, ...asked.filter((b) => b !== 'none')];
    if (backends === null) {
      // Checked in the system's temporary folder, where calibrate makes its working directory.
      const found = await detectBackends({ cwd: os.tmpdir() });
      for (const b of found.filter((f) => !f.available)) io.stderr.write(`calibrate: skipping ${b.message}\n`);
      backends = found.filter((b) => b.available).map((b) => b.backend);
      if (!backends.includes('none')) throw new Error(`calibrate: the baseline 'none' cannot run here`);
    }
    const fingerprint = await machineFingerprint(version, io.env);
    const json = parsed.flags.json === true;
    if (!json) for (const warning of noiseWarnings(fingerprint)) io.stdout.write(`Warning: ${warning}\n`);
    const rounds = (parsed.flags.rounds as number | undefined) ?? DEFAULT_ROUNDS;
    const scale = (parsed.flags.scale as number | undefined) ?? 1;
    const bar = progressBar(io, rounds * RUNS_PER_ROUND * backends.length);
    const run = await runCalibration({ backends, rounds, scale, onRun: (backend) => bar.tick(backend) }).finally(() => bar.end());
    const calibration: Calibration = {
      createdAt: new Date().toISOString(),
      elapsedMs: run.elapsedMs,
      rounds,
      scale,
      fingerprint,
      fit: fitCalibration(run.samples),
    };
    const id = saveCalibration(where.file, calibration);
    if (json) io.stdout.write(`${JSON.stringify({ id, history: where.file, ...calibration }, null, 2)}\n`);
    else io.stdout.write(`${calibrationText(calibration)}Stored as calibration ${id} in ${where.file}.\n`);
    return 0;
  },
});
