import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { main } from '../main';
import type { CommandIo } from '../command';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { tempDir } from '../../../test/support/tempDir';
import { CALIB_FILE } from '../../calibrate/calibWorkdir';
import { CLASS_NAMES } from '../../calibrate/classes';
import { RUNS_PER_ROUND } from '../../calibrate/runCalibration';

function io(cwd: string): CommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout, stderr, env: { PATH: process.env.PATH ?? '' }, cwd, out: () => out, err: () => err };
}

type Fitted = { backend: string; fixedPerFileMs: { estimate: number } | null; deltaFixedPerFileMs: object | null };
interface CalibrationJson {
  id: number;
  fit: { baseline: string; backends: (Fitted & { runs: number; costs: { class: string; msPerOp: { estimate: number } }[] })[] };
}

interface PredictionJson {
  calibration: number;
  predictions: {
    backend: string;
    total: { estimate: number };
    fixed: { estimate: number };
    inCommand: { estimate: number };
    attribution: { shares: { ms: number }[] };
  }[];
  checks: { backend: string; predictedMs: number; measured: { estimate: number } }[] | null;
  recalibrated: {
    calibration: number;
    predictions: { backend: string; total: { estimate: number } }[];
    checks: { backend: string; predictedMs: number; measured: { estimate: number } }[];
  } | null;
}

describeWhen(
  'calibrate and predict on none and bubblewrap (real runs, small sizes)',
  toolMissing('bwrap') || toolMissing('strace') || (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`),
  'apt-get install bubblewrap strace; node native/build.js',
  () => {
    let dir = '';
    let db = '';
    let calibration: CalibrationJson;
    beforeAll(async () => {
      dir = tempDir('calibrate');
      // The sandbox user (65534) must be able to enter the working directory (mkdtemp makes 0700).
      fs.chmodSync(dir, 0o755);
      db = path.join(tempDir('calibrate-history'), 'state.db');
      const stream = io(dir);
      const code = await main(['calibrate', '--sandbox', 'bubblewrap', '--rounds', '2', '--scale', '0.05', '--json', '--db', db], stream);
      expect(stream.err()).toBe('');
      expect(code).toBe(0);
      calibration = JSON.parse(stream.out()) as CalibrationJson;
    }, 120_000);
    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.dirname(db), { recursive: true, force: true });
    });

    test('fits every class on both backends, none the baseline', () => {
      expect(calibration.fit.baseline).toBe('none');
      expect(calibration.fit.backends.map((b) => b.backend)).toEqual(['none', 'bubblewrap']);
      for (const b of calibration.fit.backends) {
        expect(b.runs).toBe(2 * RUNS_PER_ROUND);
        expect(b.costs.map((c) => c.class)).toEqual([...CLASS_NAMES]);
        for (const c of b.costs) expect(Number.isFinite(c.msPerOp.estimate)).toBe(true);
        // The files a run leaves, priced from the leave runs; against none but on none.
        expect([Number.isFinite(b.fixedPerFileMs?.estimate), b.deltaFixedPerFileMs === null]).toEqual([true, b.backend === 'none']);
      }
    });

    test('is stored in the history with the machine fingerprint, in its own tables', () => {
      const file = new Database(db, { readonly: true });
      try {
        const row = file.prepare('SELECT id, fingerprint_id AS f FROM sandbox_calibrations').all() as { id: number; f: number | null }[];
        expect(row).toEqual([{ id: calibration.id, f: expect.any(Number) as number }]);
        expect(file.prepare('SELECT count(*) AS n FROM sandbox_calibration_costs WHERE calibration_id = ?').get(calibration.id)).toEqual({
          n: 2 * CLASS_NAMES.length,
        });
        expect(file.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get()).toEqual({ n: 0 });
      } finally {
        file.close();
      }
    });

    test('predict reads it, attributes the in-command cost, and --check measures', async () => {
      const stream = io(dir);
      const code = await main(
        ['predict', '--sandbox', 'bubblewrap', '--check', '--runs', '3', '--json', '--db', db, '--', 'sh', '-c', 'ls / > /dev/null'],
        stream,
      );
      // stderr holds the poor-fit warnings of so small a calibration, and any failure.
      expect({ code, err: code === 0 ? '' : stream.err() }).toEqual({ code: 0, err: '' });
      const out = JSON.parse(stream.out()) as PredictionJson;
      expect(out.calibration).toBe(calibration.id);
      const [p] = out.predictions;
      expect(p?.backend).toBe('bubblewrap');
      expect(p?.attribution.shares.reduce((sum, s) => sum + s.ms, 0)).toBeCloseTo(p?.inCommand.estimate ?? Number.NaN, 6);
      expect(p?.total.estimate).toBeCloseTo((p?.fixed.estimate ?? 0) + (p?.inCommand.estimate ?? 0), 6);
      expect(out.checks?.map((c) => c.backend)).toEqual(['bubblewrap']);
    }, 120_000);

    test('predict --prepare cleans up before the profiling run and every measured run: a build that leaves its output can be checked', async () => {
      // Like npm ci's node_modules: the host-side profiling run (root) leaves out/, and the next run fails on it.
      const work = path.join(dir, 'work');
      fs.mkdirSync(work);
      fs.chmodSync(work, 0o777);
      const build = ['--', 'sh', '-c', 'mkdir out && echo built > out/file'];
      const without = io(work);
      const failed = await main(['predict', '--sandbox', 'bubblewrap', '--check', '--runs', '2', '--json', '--db', db, ...build], without);
      expect(failed).toBe(1);
      expect(without.err()).toMatch(/bubblewrap has no paired measurement/);
      const stream = io(work);
      const args = ['predict', '--sandbox', 'bubblewrap', '--check', '--runs', '2', '--json', '--db', db];
      const code = await main([...args, '-p', 'rm -rf out', '-c', 'rm -rf out', ...build], stream);
      expect({ code, err: code === 0 ? '' : stream.err() }).toEqual({ code: 0, err: '' });
      const out = JSON.parse(stream.out()) as PredictionJson;
      expect(out.checks?.map((c) => c.backend)).toEqual(['bubblewrap']);
      // The cleanup ran after the last run.
      expect(fs.existsSync(path.join(work, 'out'))).toBe(false);
    }, 120_000);

    test('predict --check --recalibrate calibrates again around the measured rounds, stores it, and checks its prediction against the same measurement', async () => {
      const stream = io(dir);
      const args = ['predict', '--sandbox', 'bubblewrap', '--check', '--recalibrate', '--runs', '2', '--json', '--db', db];
      const code = await main([...args, '--', 'sh', '-c', 'ls / > /dev/null'], stream);
      expect({ code, err: code === 0 ? '' : stream.err() }).toEqual({ code: 0, err: '' });
      const out = JSON.parse(stream.out()) as PredictionJson;
      expect(out.calibration).toBe(calibration.id);
      const again = out.recalibrated;
      expect(again?.calibration).toBeGreaterThan(calibration.id);
      expect(again?.predictions.map((p) => p.backend)).toEqual(['bubblewrap']);
      // The same measurement, two predictions: the stored calibration's and the new one's.
      expect(again?.checks.map((c) => c.measured)).toEqual(out.checks?.map((c) => c.measured));
      expect(again?.checks[0]?.predictedMs).toBe(again?.predictions[0]?.total.estimate);
      const file = new Database(db, { readonly: true });
      try {
        // 3 rounds before and 3 after, at the stored calibration's scale, on none and bubblewrap.
        const row = file.prepare('SELECT json FROM sandbox_calibrations WHERE id = ?').get(again?.calibration) as { json: string };
        const stored = JSON.parse(row.json) as { rounds: number; scale: number; fit: CalibrationJson['fit'] };
        expect({ rounds: stored.rounds, scale: stored.scale }).toEqual({ rounds: 6, scale: 0.05 });
        expect(stored.fit.backends.map((b) => [b.backend, b.runs])).toEqual([
          ['none', 6 * RUNS_PER_ROUND],
          ['bubblewrap', 6 * RUNS_PER_ROUND],
        ]);
      } finally {
        file.close();
      }
    }, 120_000);

    test('predict --check --recalibrate says once that a backend has no paired measurement (both predictions are checked against the same runs)', async () => {
      const work = path.join(dir, 'work-recalibrate');
      fs.mkdirSync(work);
      fs.chmodSync(work, 0o777);
      // The profiling run (root, on the host) leaves out/, so every measured run fails on it.
      const stream = io(work);
      const args = ['predict', '--sandbox', 'bubblewrap', '--check', '--recalibrate', '--runs', '2', '--json', '--db', db];
      const code = await main([...args, '--', 'sh', '-c', 'mkdir out && echo built > out/file'], stream);
      expect(code).toBe(1);
      expect(stream.err().match(/bubblewrap has no paired measurement/g)).toHaveLength(1);
    }, 120_000);

    test('predict says when the profiled command was killed by a signal', async () => {
      const stream = io(dir);
      const code = await main(['predict', '--sandbox', 'bubblewrap', '--db', db, '--', 'sh', '-c', 'kill -9 $$'], stream);
      expect(code).toBe(0);
      // Before: "(the command exited with null)".
      expect(stream.out()).toMatch(
        /^Counted .*\(the command was killed by SIGKILL\)\nFrom calibration \d+, taken \d{4}-\d\d-\d\d \d\d:\d\d UTC:\n/m,
      );
    });

    // Before: the counter's exit 127 was profiled and predicted from (+15 ms, 100 % start), exit 0.
    test.each([
      [
        'no such program',
        '/nonexistent/prog',
        /^Error: predict: cannot run "\/nonexistent\/prog" \(spawn \/nonexistent\/prog ENOENT\): nothing to count$/m,
      ],
      [
        'a script without x',
        './script.sh',
        /^Error: predict: cannot run "\.\/script\.sh" \(spawn \.\/script\.sh EACCES: .*script\.sh is not executable/m,
      ],
    ])('predict refuses a command that cannot run (%s) before counting it', async (_, program, message) => {
      fs.writeFileSync(path.join(dir, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const stream = io(dir);
      await expect(main(['predict', '--sandbox', 'bubblewrap', '--db', db, '--', program], stream)).resolves.toBe(1);
      expect(stream.err()).toMatch(message);
      expect(stream.out()).toBe('');
    });

    test('predict says when the calibration predates a class the command uses (its operations priced at 0)', async () => {
      const older = path.join(path.dirname(db), 'older.db');
      fs.copyFileSync(db, older);
      const writer = new Database(older);
      try {
        const row = writer.prepare('SELECT id, json FROM sandbox_calibrations ORDER BY id DESC LIMIT 1').get() as {
          id: number;
          json: string;
        };
        const stored = JSON.parse(row.json) as { fit: { backends: { costs: { class: string }[] }[] } };
        for (const b of stored.fit.backends) b.costs = b.costs.filter((c) => c.class !== 'protect');
        writer.prepare('UPDATE sandbox_calibrations SET json = ? WHERE id = ?').run(JSON.stringify(stored), row.id);
      } finally {
        writer.close();
      }
      const stream = io(dir);
      await expect(main(['predict', '--sandbox', 'bubblewrap', '--db', older, '--', CALIB_FILE, 'protect', '50'], stream)).resolves.toBe(0);
      expect(stream.err()).toMatch(
        /^Warning: calibration \d+ has no cost for memory made writable \(it predates them\): .* priced at 0; run 'sandbox-perf calibrate' again$/m,
      );
      // The stored calibration has every class: no warning.
      const current = io(dir);
      await expect(main(['predict', '--sandbox', 'bubblewrap', '--db', db, '--', CALIB_FILE, 'protect', '50'], current)).resolves.toBe(0);
      expect(current.err()).not.toMatch(/predates/);
    });

    test('predict --calibration ID reads that calibration, not the newest; an unknown ID is refused', async () => {
      const two = path.join(path.dirname(db), 'two.db');
      fs.copyFileSync(db, two);
      const reader = new Database(two);
      let first = 0;
      try {
        const row = reader
          .prepare('SELECT id, created_at AS at, fingerprint_id AS f, json FROM sandbox_calibrations ORDER BY id DESC LIMIT 1')
          .get() as {
          id: number;
          at: string;
          f: number | null;
          json: string;
        };
        first = row.id;
        // A second, newer calibration (what --recalibrate stores): the newest one predict reads by default.
        reader.prepare('INSERT INTO sandbox_calibrations (created_at, fingerprint_id, json) VALUES (?, ?, ?)').run(row.at, row.f, row.json);
      } finally {
        reader.close();
      }
      const predictJson = async (extra: string[]) => {
        const stream = io(dir);
        const code = await main(['predict', '--sandbox', 'bubblewrap', ...extra, '--json', '--db', two, '--', 'true'], stream);
        return { code, out: stream.out(), err: stream.err() };
      };
      const newest = await predictJson([]);
      expect((JSON.parse(newest.out) as { calibration: number }).calibration).toBe(first + 1);
      const chosen = await predictJson(['--calibration', String(first)]);
      expect((JSON.parse(chosen.out) as { calibration: number }).calibration).toBe(first);
      const unknown = await predictJson(['--calibration', String(first + 7)]);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(
        new RegExp(`^Error: Expected \`--calibration\` to be the id of a calibration stored in .*two\\.db, got \`"${first + 7}"\`$`, 'm'),
      );
    });

    test('predict --timeout kills a profiling run that does not end, and says so', async () => {
      const stream = io(dir);
      await expect(
        main(['predict', '--sandbox', 'bubblewrap', '--timeout', '1000', '--db', db, '--', 'sleep', '30'], stream),
      ).resolves.toBe(1);
      expect(stream.err()).toMatch(
        /^Error: predict: the profiling run took over 1000 ms \(--timeout 1000\): killed it and every process in its group$/m,
      );
    });

    test("calibrate --scale above 10 is refused before any run (×100 wrote 8 000 MiB a run, held in gVisor's memory)", async () => {
      const stream = io(dir);
      await expect(main(['calibrate', '--sandbox', 'bubblewrap', '--scale', '100', '--db', db], stream)).resolves.toBe(2);
      expect(stream.err()).toMatch(/Expected `--scale` to be .*10.*got `"100"`/);
    });

    test('predict --recalibrate needs --check', async () => {
      const stream = io(dir);
      await expect(main(['predict', '--sandbox', 'bubblewrap', '--recalibrate', '--db', db, '--', 'true'], stream)).resolves.toBe(2);
      expect(stream.err()).toMatch(/--recalibrate needs --check/);
    });

    test('predict without a calibration says how to make one', async () => {
      const stream = io(dir);
      const empty = path.join(path.dirname(db), 'none.db');
      await expect(main(['predict', '--sandbox', 'bubblewrap', '--db', empty, '--', 'true'], stream)).resolves.toBe(1);
      expect(stream.err()).toMatch(/no calibration in .*none\.db: run 'sandbox-perf calibrate' first/);
    });
  },
);
