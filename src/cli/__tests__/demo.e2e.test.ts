import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, describeBuilt, stateHomeOf } from './support/cli';

/*
 * `npm start` (the demo) through the built CLI on two host backends: the first line says what the run
 * is about, and the answer (Summary) is the last block on screen, after the history.
 */
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-demo-'));
  fs.mkdirSync(stateHomeOf(dir));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(stateHomeOf(dir), { recursive: true, force: true });
});

describeBuilt('npm start (demo)', () => {
  test('buries no answer: the first line is about the task, the Summary comes last, few rounds are explained', async () => {
    const r = await cli(['demo', '--runs', '2', '--sandbox', 'none,unshare'], dir, { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^What isolation costs a build: .*2 interleaved round\(s\) each/);
    const summary = lines.findIndex((l) => l.startsWith('Summary'));
    const history = lines.findIndex((l) => l.startsWith('History ('));
    expect(history).toBeGreaterThan(0);
    expect(summary).toBeGreaterThan(history);
    // Nothing but the verdicts after the Summary heading.
    expect(lines.slice(summary).join('\n')).not.toMatch(/History|Durations|Phases \(/);
    expect(r.stdout).toMatch(/2 pair\(s\) cannot reach Wilcoxon p < 0\.5; the verdicts come from the 95 % intervals/);
    // The per-phase history is pointed at, not printed (the per-backend blocks show the phases).
    expect(r.stdout).not.toMatch(/^Phases \(mean/m);
    expect(r.stdout).toMatch(/per phase: sandbox-perf report --db /);
  });
});
