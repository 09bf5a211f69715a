import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertSavable, baselineFile, loadBaseline, saveBaseline } from '../../cli/compare/baselineStore';
import { mulberry32 } from '../../stats/prng';
import type { ComparisonResult } from '../compareBackends';
import { changeSamples, compareWithSaved } from '../savedBaseline';
import { summarizeBackends, type BackendRounds } from '../summarizeBackends';

function gaussian(seed: number, n: number, mu: number, sigma: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

function rounds(backend: BackendRounds['backend'], roundsMs: (number | null)[]): BackendRounds {
  return {
    backend,
    roundsMs,
    exitCodes: [],
    cpu: [],
    phases: [],
    failures: 0,
    firstError: null,
    prepareMs: 0,
    teardownMs: 0,
    warmupRuns: 0,
  };
}

function comparison(seed: number, baseMs: number, overheadMs: number, command = ['true']): ComparisonResult {
  const base = gaussian(seed, 20, baseMs, 2);
  const other = base.map((b, i) => b + overheadMs + (gaussian(seed + 100, 20, 0, 1)[i] as number));
  return {
    command,
    runs: 20,
    warmup: 1,
    warmupMode: 'fixed',
    stoppedBy: 'runs',
    adaptive: null,
    precision: null,
    baseline: 'none',
    startedAt: `2026-12-0${seed}T00:00:00.000Z`,
    machine: { node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'x' },
    fingerprint: null,
    backends: summarizeBackends([rounds('none', base), rounds('bubblewrap', other)], 0),
  };
}

test("overhead is compared per round against that day's baseline: a machine that got slower is not a change of overhead", () => {
  const saved = comparison(1, 40, 10);
  // Everything 20 ms slower today, the overhead the same: none "higher", bubblewrap "no significant change".
  const today = compareWithSaved(comparison(2, 60, 10), saved, 'main');
  expect(today.backends.map((b) => [b.backend, b.metric, b.verdict])).toEqual([
    ['none', 'duration', 'higher'],
    ['bubblewrap', 'overhead', 'no significant change'],
  ]);
  // The overhead doubled: "higher", with an interval around +10 ms.
  const worse = compareWithSaved(comparison(3, 40, 20), saved, 'main').backends[1];
  expect(worse?.verdict).toBe('higher');
  expect(worse?.change?.low).toBeGreaterThan(5);
  expect(worse?.change?.high).toBeLessThan(15);
  expect(worse?.test?.pValue).toBeLessThan(0.001);
  expect(compareWithSaved(comparison(4, 40, 10, ['false']), saved, 'main').sameCommand).toBe(false);
  expect(changeSamples(saved).get('bubblewrap')?.values).toHaveLength(20);
});

test('baselines live beside the history; names are path-safe; a foreign file is refused and left untouched', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baselines-'));
  try {
    const history = path.join(dir, 'state.db');
    expect(() => baselineFile(history, 'baseline', '../etc/passwd')).toThrow(/^Expected `--baseline` to be a name of 1 to 64 letters/);
    const file = baselineFile(history, 'save-baseline', 'main');
    expect(file).toBe(path.join(dir, 'baselines', 'main.json'));
    expect(() => loadBaseline(file, 'main')).toThrow(/no saved baseline "main" \(none saved yet; save one with --save-baseline NAME\)/);
    const saved = comparison(1, 40, 10);
    saveBaseline(file, saved);
    expect(loadBaseline(file, 'main')).toEqual(JSON.parse(JSON.stringify(saved)));
    saveBaseline(file, comparison(2, 41, 10)); // replacing our own file is fine
    const foreign = baselineFile(history, 'save-baseline', 'notes');
    fs.writeFileSync(foreign, 'my notes\n');
    expect(() => assertSavable(foreign)).toThrow(/notes\.json exists and is not a saved comparison; it was left untouched/);
    expect(() => loadBaseline(foreign, 'notes')).toThrow(/is not a saved comparison \(not JSON\)/);
    fs.writeFileSync(foreign, JSON.stringify({ backends: [{ backend: 'none', roundsMs: ['x'] }] }));
    expect(() => loadBaseline(foreign, 'notes')).toThrow(/no command, baseline and per-round durations/);
    expect(fs.readFileSync(foreign, 'utf8')).toContain('"x"');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('saving writes through no link planted at the old temporary name (FILE.PID.tmp), and leaves no temporary file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baselines-'));
  try {
    const file = baselineFile(path.join(dir, 'state.db'), 'save-baseline', 'main');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'not yours\n');
    fs.symlinkSync(victim, `${file}.${process.pid}.tmp`);
    saveBaseline(file, comparison(1, 40, 10));
    expect(fs.readFileSync(victim, 'utf8')).toBe('not yours\n');
    expect(loadBaseline(file, 'main').backends).toHaveLength(2);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['main.json', `main.json.${process.pid}.tmp`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
