import { counterCaveat, profileCommand, type Profile } from '../../calibrate/profile';
import { threadsCaveat } from '../../calibrate/threadsCaveat';
import { MOUNT_TRACEFS } from '../../calibrate/tracepoints';
import { checkPrediction, predict, type Prediction, type PredictionCheck } from '../../calibrate/prediction';
import { AROUND_ROUNDS, calibrateAround } from '../../calibrate/calibrateAround';
import { fitCalibration, type CalibrationFit } from '../../calibrate/fitCalibration';
import type { Calibration } from '../../calibrate/calibration';
import { CLASSES } from '../../calibrate/classes';
import { compareBackends, type ComparisonResult } from '../../compare/compareBackends';
import { runHook } from '../../compare/hooks';
import { machineFingerprint } from '../../machine/fingerprint';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { findExecutable, whyNotExecutable } from '../../runners/host/hostProcess';
import { calibrationById, latestCalibration, saveCalibration } from '../../state/calibrationStore';
import { MAX_TIMEOUT_MS, parseArgs, requireCommand } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { defineCommand, UsageError, type Command, type CommandIo } from '../command';
import { flagExpectation } from '../../validation';
import { assertUsableHistory, historyPathFor, openRecording, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { calibrationHeading, checkText, countsLine, predictionText, type Unchecked } from '../format/predictionText';
import { version } from '../version';
import { printable } from '../../printable';
import { SANDBOX_PATH } from '../../runners/environment';

const FLAGS = {
  sandbox: { type: 'list', value: 'BACKENDS' },
  check: { type: 'boolean' },
  recalibrate: { type: 'boolean' },
  runs: { type: 'integer', min: 2, max: 10_000, value: 'N', short: 'r' },
  prepare: { type: 'string', value: 'CMD', short: 'p' },
  cleanup: { type: 'string', value: 'CMD', short: 'c' },
  json: { type: 'boolean' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  calibration: { type: 'integer', min: 1, value: 'ID' },
  db: { type: 'string', value: 'FILE' },
} as const;

/** The profiling run's, each --check run's and each hook's timeout (as compare's): a large build takes minutes. */
const DEFAULT_PREDICT_TIMEOUT_MS = 600_000;

export const predictCommand: Command = defineCommand({
  name: 'predict',
  summary: "predict a command's cost of isolation on each backend from its operation counts and the calibration",
  usage: `Usage: sandbox-perf predict --sandbox LIST [--check [--runs N] [--recalibrate]] [--prepare CMD]
                            [--cleanup CMD] [--timeout MS] [--calibration ID] [--json] [--db FILE]
                            -- COMMAND [ARGS...]

Runs COMMAND once on the host, untimed, under a counter (system calls by name from the kernel's
syscall tracepoints, or 'strace -f -c' where they cannot be opened, which counts no clock reads
and no calls on other threads and says so: as root, '${MOUNT_TRACEFS}';
page faults, user CPU, bytes read and written), and predicts what each backend adds to it against 'none': the fixed cost
around the command and the in-command cost (each counted operation times what the backend adds
per operation, from the newest calibration in the history that covers the backends asked for:
one of this machine state first, else another's, with a warning naming what differs; the output
names it), with a 95 % interval, and where the in-command cost goes ("gvisor: 64 % file opens,
22 % stats, …"). That run is not sandboxed: COMMAND runs as you, with your files
and network, as it would without sandbox-perf; predict only a command you would run so.

With --check it also measures: N rounds of none and each backend, interleaved as 'compare' runs
them (recorded in the history), and prints predicted against measured (the paired per-round
difference with its 95 % interval): the error, whether it is within ±15 %, and whether the
prediction is inside the measured interval. With --recalibrate, the calibration's workloads
also run ${AROUND_ROUNDS} rounds right before and ${AROUND_ROUNDS} right after the measured ones (stored as a new
calibration), and the command is predicted and checked again from them: gVisor's cost per
operation follows the machine's load within minutes, and this prediction comes from the same
minutes as the measurement (docs/calibration.md).

Options:
  --sandbox LIST   backends, comma-separated
                   (${backendList(BACKEND_NAMES, '                   ', 90)})
  --check          measure too, and compare
  -r, --runs N     with --check: paired rounds   [default: 10]
  --recalibrate    with --check: calibrate again around the measured rounds, and check the
                   prediction from that calibration too
  -p, --prepare CMD  shell command on the host before the profiling run and before each
                   --check run (not timed; e.g. remove the build's output)
  -c, --cleanup CMD  shell command on the host after the profiling run and after each
                   backend's last --check run (hooks see SANDBOX_PERF_BACKEND: 'none' for
                   the profiling run)
  --timeout MS     kill the profiling run (every process it started), each --check run and
                   each hook (its whole process group) after MS ms
                   [default: ${DEFAULT_PREDICT_TIMEOUT_MS}]
  --calibration ID
                   predict from this stored calibration, not the newest that covers the
                   backends (several predictions from one calibration while --recalibrate
                   stores others)
  --json           predictions (and checks) as JSON
  --db FILE        ${DB_HELP}
  --help           this text

Examples:
  sandbox-perf predict --sandbox bubblewrap,gvisor,docker -- make -j2
  sandbox-perf predict --sandbox gvisor --check --runs 20 -- npx tsc -p .
  sandbox-perf predict --sandbox gvisor,docker --check -p 'rm -rf node_modules' -- npm ci --offline
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'predict');
    const command = requireCommand(parsed, 'predict', io.cwd);
    if (parsed.flags.sandbox === undefined) throw new UsageError(`'predict' needs --sandbox LIST (e.g. --sandbox bubblewrap,gvisor)`);
    const backends = parseBackends(parsed.flags.sandbox).filter((b) => b !== 'none');
    if (backends.length === 0) {
      throw new UsageError(
        `${flagExpectation('--sandbox', "a backend other than 'none' (the baseline every prediction is against)", [parsed.flags.sandbox].flat().join(','))} (e.g. --sandbox bubblewrap,gvisor)`,
      );
    }
    if (parsed.flags.runs !== undefined && parsed.flags.check !== true) throw new UsageError('--runs needs --check');
    if (parsed.flags.recalibrate === true && parsed.flags.check !== true) throw new UsageError('--recalibrate needs --check');
    const where = historyPathFor(parsed.flags.db, io);
    assertUsableHistory(where);
    // Before anything runs (the prepare hook and the profiling run included): --check's sandboxes bind the working directory.
    const sandbox = { cwd: io.cwd };
    if (parsed.flags.check === true) assertHistoryOutOfReach(where, sandbox, ['none', ...backends], { workdirFlag: false });
    const fingerprint = await machineFingerprint(version, io.env);
    const wanted = parsed.flags.calibration as number | undefined;
    const stored =
      wanted === undefined ? latestCalibration(where.file, fingerprint, backends) : calibrationById(where.file, wanted, fingerprint);
    if (stored === null && wanted !== undefined) {
      throw new UsageError(flagExpectation('--calibration', `the id of a calibration stored in ${where.file}`, String(wanted)));
    }
    if (stored === null)
      throw new Error(`predict: no calibration in ${where.file}: run 'sandbox-perf calibrate' first (with the same --db)`);
    const { fit } = stored.calibration;
    const base = fit.backends.find((b) => b.backend === fit.baseline);
    const missing = backends.filter((b) => !fit.backends.some((c) => c.backend === b));
    if (base === undefined || missing.length > 0) {
      throw new Error(
        `predict: calibration ${stored.id} has no ${missing.join(', ') || fit.baseline}; it covers ${fit.backends.map((b) => b.backend).join(', ')} (run 'sandbox-perf calibrate --sandbox ${backends.join(',')}')`,
      );
    }
    const json = parsed.flags.json === true;
    const warn = (text: string) => io.stderr.write(`Warning: ${text}\n`);
    if (stored.machineDifferences.length > 0)
      warn(`calibration ${stored.id} ran on another machine state: ${stored.machineDifferences.join('; ')}`);
    for (const b of fit.backends.filter(
      (c) => c.poorFit.length > 0 && (c.backend === fit.baseline || backends.includes(c.backend as never)),
    )) {
      warn(`calibration ${stored.id} fits ${b.backend} poorly (${b.poorFit.join(', ')})`);
    }

    // A build that leaves its output (node_modules made by root on the host) would fail or do
    // less on the next run: the hooks run around the profiling run as around each measured one.
    const hooks = { prepare: parsed.flags.prepare as string | undefined, cleanup: parsed.flags.cleanup as string | undefined };
    const timeoutMs = (parsed.flags.timeout as number | undefined) ?? DEFAULT_PREDICT_TIMEOUT_MS;
    // Its hooks see SANDBOX_PERF_BACKEND=none (documented), but their messages name the profiling run, on the host.
    const hookOptions = { cwd: io.cwd, timeoutMs, around: 'the profiling run (on the host)' };
    await runHook('prepare', hooks.prepare, 'none', hookOptions);
    // (After the prepare hook, which may build the program.) The counter would run nothing, exit
    // 127, and its counts would still be predicted from.
    // Looked up on the PATH every backend gives the command (environment.ts), as the profiling run does.
    const [program = ''] = command;
    if (findExecutable(program, SANDBOX_PATH, io.cwd) === null) {
      throw new Error(
        `predict: cannot run ${JSON.stringify(program)} (${whyNotExecutable(program, SANDBOX_PATH, io.cwd)}): nothing to count`,
      );
    }
    let profile: Profile;
    try {
      profile = await profileCommand(command, io.cwd, { timeoutMs });
    } catch (error) {
      // A run that failed (its timeout, no counts) still leaves what the build made: cleaned as after a run that did not.
      await runHook('cleanup', hooks.cleanup, 'none', hookOptions).catch((hookError: unknown) => {
        warn(hookError instanceof Error ? hookError.message : String(hookError));
      });
      throw error;
    }
    await runHook('cleanup', hooks.cleanup, 'none', hookOptions);
    const caveat = counterCaveat(profile.counter);
    if (caveat !== null) warn(caveat);
    const threaded = threadsCaveat(backends, profile.counts);
    if (threaded !== null) warn(threaded);
    const unpriced = unpricedClasses(fit, [fit.baseline, ...backends], profile.counts);
    if (unpriced.length > 0) {
      warn(
        `calibration ${stored.id} has no cost for ${unpriced.join(', ')} (it predates them): the command's ${unpriced.length === 1 ? 'operations of that class are' : 'operations of those classes are'} priced at 0; run 'sandbox-perf calibrate' again`,
      );
    }
    const predictions = predictFrom(fit, backends, profile);
    if (!json) {
      io.stdout.write(`${countsLine(profile.counts)}${exitNote(profile.exitCode, profile.exitSignal)}\n`);
      io.stdout.write(calibrationHeading(stored.id, stored.calibration.createdAt, stored.machineDifferences.length > 0));
      io.stdout.write(predictionText(predictions, fit.baseline));
    }
    let checks: PredictionCheck[] | null = null;
    let recalibrated: { calibration: number; predictions: Prediction[]; checks: PredictionCheck[] } | null = null;
    let unmeasured: Unchecked[] = [];
    if (parsed.flags.check === true) {
      const recording = openRecording(where, undefined, io);
      const runs = (parsed.flags.runs as number | undefined) ?? 10;
      const measure = () =>
        compareBackends({
          backends: ['none', ...backends],
          command,
          runs,
          warmup: 1,
          sandbox,
          monitor: recording.monitor,
          hooks,
          timeoutMs,
        });
      try {
        await recording.open();
        let measured: ComparisonResult;
        if (parsed.flags.recalibrate === true) {
          const around = await calibrateAround({ backends: ['none', ...backends], scale: stored.calibration.scale }, measure);
          measured = around.result;
          const calibration: Calibration = {
            createdAt: new Date().toISOString(),
            elapsedMs: around.elapsedMs,
            rounds: around.rounds,
            scale: stored.calibration.scale,
            fingerprint,
            fit: fitCalibration(around.samples),
          };
          const id = saveCalibration(where.file, calibration);
          const again = predictFrom(calibration.fit, backends, profile);
          // The same measurement: what it lacks was said once, for the stored calibration's checks below.
          recalibrated = { calibration: id, predictions: again, checks: checksOf(again, measured, null).checks };
        } else {
          measured = await measure();
        }
        const found = checksOf(predictions, measured, io);
        checks = found.checks;
        unmeasured = found.unmeasured;
      } finally {
        await recording.finish();
      }
      if (!json) {
        io.stdout.write(checkText(checks, runs, unmeasured));
        if (recalibrated !== null) {
          io.stdout.write(
            `From calibration ${recalibrated.calibration}, taken around the check (${AROUND_ROUNDS} rounds before it, ${AROUND_ROUNDS} after):\n` +
              predictionText(recalibrated.predictions, fit.baseline) +
              checkText(recalibrated.checks, runs, unmeasured),
          );
        }
      }
    }
    if (json) {
      io.stdout.write(
        `${JSON.stringify({ command, calibration: stored.id, machineDifferences: stored.machineDifferences, profile, predictions, checks, recalibrated }, null, 2)}\n`,
      );
    }
    return unmeasured.length > 0 ? 1 : 0;
  },
});

/** How the profiled command ended, when not with 0: its counts are those of a run that failed. */
function exitNote(code: number | null, signal: string | null): string {
  if (code === 0) return '';
  return code === null ? ` (the command was killed by ${signal ?? 'a signal'})` : ` (the command exited with ${String(code)})`;
}

/** The labels of the classes the command made operations of that the calibration has no cost for on some of `backends`. */
function unpricedClasses(fit: CalibrationFit, backends: readonly string[], counts: Profile['counts']): string[] {
  const asked = fit.backends.filter((b) => backends.includes(b.backend));
  return CLASSES.filter((c) => counts[c.name] > 0 && asked.some((b) => !b.costs.some((k) => k.class === c.name))).map((c) => c.label);
}

/** Each backend's prediction from `fit` (which has the baseline and every backend: checked by the caller). */
function predictFrom(fit: CalibrationFit, backends: readonly string[], profile: Pick<Profile, 'counts' | 'onThreads'>): Prediction[] {
  const base = fit.backends.find((b) => b.backend === fit.baseline);
  return backends.map((name) => {
    const backend = fit.backends.find((b) => b.backend === name);
    if (base === undefined || backend === undefined) throw new Error(`predict: the calibration has no ${name} or no ${fit.baseline}`);
    return predict(profile.counts, backend, base, profile.onThreads);
  });
}

/** The predictions against compare's paired differences; a backend without one is said on stderr. */
function checksOf(
  predictions: readonly Prediction[],
  measured: ComparisonResult,
  io: Pick<CommandIo, 'stderr'> | null,
): { checks: PredictionCheck[]; unmeasured: Unchecked[] } {
  const unmeasured: Unchecked[] = [];
  const baseline = measured.backends.find((b) => b.backend === measured.baseline);
  const checks = predictions.flatMap((p) => {
    const backend = measured.backends.find((b) => b.backend === p.backend);
    const difference = backend?.paired?.difference ?? null;
    if (difference === null) {
      const why = printable(
        backend?.firstError ??
          (baseline?.firstError ? `${measured.baseline}: ${baseline.firstError}` : 'fewer than two rounds where both succeeded'),
      );
      unmeasured.push({ backend: p.backend, pairs: backend?.paired?.pairs ?? 0, why });
      io?.stderr.write(`predict --check: ${p.backend} has no paired measurement (${why})\n`);
      return [];
    }
    return [checkPrediction(p, difference, backend?.paired?.pairs)];
  });
  return { checks, unmeasured };
}
