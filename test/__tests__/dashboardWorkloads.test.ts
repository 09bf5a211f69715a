import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describeWhen } from '../support/e2e';
import { startServe, type RunningServe } from '../../src/export/server';
import { dockerMissing, INSTALL_DOCKER, toolMissing } from '../support/runners';

/*
 * Issue 14's "done when": after `compare` of two different commands on none, unshare and docker
 * (the built CLI, real containers, a real SQLite history), the dashboard in a real Chromium shows
 * each workload apart, and its ratios are the ones compare printed and exported, within their error.
 */
const CHROMIUM = '/usr/bin/chromium';
const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const BACKENDS = ['none', 'unshare', 'docker'] as const;
// Half a second sets the two workloads far apart (a mean over both would sit near 250 ms) at a quarter of `sleep 1`'s cost.
const COMMANDS = [['true'], ['sleep', '0.5']] as const;

const missing =
  (!fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing`) ||
  (!fs.existsSync(CLI) && `${CLI} is missing (run: npm run build)`) ||
  toolMissing('unshare') ||
  dockerMissing();

interface Exported {
  command: string[];
  backends: {
    backend: string;
    summary: { count: number; meanMs: number };
    ratio: { ratio: number; error: number } | null;
    paired: { pairs: number; difference: { estimate: number; low: number; high: number } | null; verdict: string } | null;
  }[];
}

interface Compared {
  label: string;
  exported: Exported;
  /** backend → the ratio compare printed in its summary ("hyperfine: A ± E", turned back into slower-than when it said faster). */
  printed: Map<string, { ratio: number; error: number }>;
}

function compare(dir: string, db: string, argv: readonly string[]): Promise<Compared> {
  const json = path.join(dir, `${argv.join('-')}.json`);
  const args = [
    CLI,
    'compare',
    '--sandbox',
    BACKENDS.join(','),
    '--runs',
    '3',
    // No warm-up: the page is checked against these very runs, not against a steady state.
    '--warmup',
    '0',
    '--db',
    db,
    '--export-json',
    json,
    '--',
    ...argv,
  ];
  return new Promise((resolve, reject) => {
    // The commands run in a folder of their own: the history may not be where a sandbox binds it writable.
    const cwd = path.join(dir, 'work');
    fs.mkdirSync(cwd, { recursive: true });
    execFile(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 150_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`compare ${argv.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      const printed = new Map<string, { ratio: number; error: number }>();
      for (const line of stdout.split('\n')) {
        const m = /^\s+(\S+)\s.*hyperfine: ([\d.]+) ± ([\d.]+)/.exec(line);
        if (!m) continue;
        const [times, error] = [Number(m[2]), Number(m[3])];
        // compare prints hyperfine's "X times faster" as the inverse ratio; back to mean / none's mean.
        printed.set(m[1] as string, line.includes('faster') ? { ratio: 1 / times, error: error / times ** 2 } : { ratio: times, error });
      }
      resolve({ label: argv.join(' '), exported: JSON.parse(fs.readFileSync(json, 'utf8')) as Exported, printed });
    });
  });
}

describeWhen(
  'per-workload ratios in Chromium after compare on none, unshare and docker',
  missing,
  `apt-get install chromium util-linux; ${INSTALL_DOCKER}; npm run build`,
  () => {
    jest.setTimeout(300_000);
    let dir: string;
    let histories: string;
    let server: RunningServe;
    let browser: Browser;
    let page: Page;
    const compared: Compared[] = [];

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-workloads-'));
      // Outside the working directory: compare refuses a history that unshare and docker could write (issue 23, finding 6).
      histories = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-workloads-db-'));
      const db = path.join(histories, 'state.db');
      // One after the other: two comparisons at once would measure each other.
      for (const argv of COMMANDS) compared.push(await compare(dir, db, argv));
      server = await startServe({ port: 0, dbPath: db });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
      await page.goto(server.url);
      await page.waitForSelector('body[data-loaded="true"]');
    });
    afterAll(async () => {
      await (page as Page | undefined)?.close();
      await (browser as Browser | undefined)?.close();
      await (server as RunningServe | undefined)?.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(histories, { recursive: true, force: true });
    });

    /** The group header of the workload whose label is `label`, and its key. */
    async function workloadKey(label: string): Promise<string> {
      const keys = await page
        .locator('#workloads tr[data-workload-group]')
        .evaluateAll(
          (rows: { getAttribute(n: string): string | null; textContent: string | null }[], want: string) =>
            rows.filter((r) => (r.textContent ?? '').split(' · ')[0] === want).map((r) => r.getAttribute('data-workload-group')),
          label,
        );
      expect(keys).toHaveLength(1);
      return keys[0] as string;
    }
    const cell = (workload: string, backend: string, col: string): ReturnType<Page['locator']> =>
      page.locator(`#workloads tr[data-workload="${workload}"][data-backend="${backend}"] td[data-col="${col}"]`);

    test('the two commands appear as two workloads, each with its own none baseline and its own runs', async () => {
      expect(await page.locator('#workloads tr[data-workload-group]').count()).toBe(2);
      const keys = new Set<string>();
      for (const { label, exported } of compared) {
        const key = await workloadKey(label);
        keys.add(key);
        for (const backend of BACKENDS) {
          const mine = exported.backends.find((b) => b.backend === backend);
          expect(await cell(key, backend, 'runs').textContent()).toBe(String(mine?.summary.count));
          // The mean on the page is that of this command's runs on this backend, not of every run there.
          const mean = Number(await cell(key, backend, 'mean').getAttribute('data-mean'));
          expect(mean).toBeCloseTo(mine?.summary.meanMs as number, 6);
        }
        expect(await cell(key, 'none', 'ratio').textContent()).toBe('baseline');
      }
      expect(keys.size).toBe(2);
      // sleep 0.5 takes half a second on every backend; true takes milliseconds: the groups did not mix.
      const [quick, slow] = await Promise.all(compared.map((c) => workloadKey(c.label)));
      expect(Number(await cell(slow as string, 'none', 'mean').getAttribute('data-mean'))).toBeGreaterThanOrEqual(500);
      expect(Number(await cell(quick as string, 'none', 'mean').getAttribute('data-mean'))).toBeLessThan(100);
    });

    test("each ratio agrees with compare's (exported and printed) within their error, with the run counts of both sides", async () => {
      for (const { label, exported, printed } of compared) {
        const key = await workloadKey(label);
        const noneRuns = exported.backends.find((b) => b.backend === 'none')?.summary.count;
        for (const backend of ['unshare', 'docker']) {
          const expected = exported.backends.find((b) => b.backend === backend);
          const ratio = cell(key, backend, 'ratio');
          const shown = { ratio: Number(await ratio.getAttribute('data-ratio')), error: Number(await ratio.getAttribute('data-error')) };
          const exportedRatio = expected?.ratio as { ratio: number; error: number };
          expect(Math.abs(shown.ratio - exportedRatio.ratio)).toBeLessThanOrEqual(exportedRatio.error);
          // Same runs, same formula: in fact equal up to rounding of the stored durations.
          expect(shown.ratio).toBeCloseTo(exportedRatio.ratio, 6);
          expect(shown.error).toBeCloseTo(exportedRatio.error, 6);
          const said = printed.get(backend) as { ratio: number; error: number };
          expect(Math.abs(shown.ratio - said.ratio)).toBeLessThanOrEqual(said.error + 0.01);
          expect(await ratio.getAttribute('data-runs')).toBe(`${expected?.summary.count}/${noneRuns}`);
          expect(await ratio.textContent()).toContain(`(${expected?.summary.count} vs ${noneRuns} runs)`);
        }
      }
    });

    // Issue 22: the Δ column propagated both σ, unpaired, where compare gives a paired interval for the same runs.
    test("each Δ vs none is compare's paired interval of the same runs (estimate, bounds, pairs, verdict)", async () => {
      for (const { label, exported } of compared) {
        const key = await workloadKey(label);
        for (const backend of ['unshare', 'docker']) {
          const paired = exported.backends.find((b) => b.backend === backend)?.paired;
          const delta = cell(key, backend, 'difference');
          expect(await delta.getAttribute('data-pairs')).toBe(String(paired?.pairs));
          expect(await delta.getAttribute('data-verdict')).toBe(paired?.verdict);
          const d = paired?.difference as { estimate: number; low: number; high: number };
          expect(Number(await delta.getAttribute('data-difference'))).toBeCloseTo(d.estimate, 6);
          expect(Number(await delta.getAttribute('data-low'))).toBeCloseTo(d.low, 6);
          expect(Number(await delta.getAttribute('data-high'))).toBeCloseTo(d.high, 6);
          expect(await delta.textContent()).toMatch(new RegExp(`^[+−].* \\[[+−].* … [+−].*\\] \\(${paired?.pairs} pairs`));
        }
      }
    });

    test('no ratio on the page divides one workload by another', async () => {
      const shown = await page
        .locator('#workloads td[data-ratio]')
        .evaluateAll((cells: { getAttribute(n: string): string | null }[]) => cells.map((c) => Number(c.getAttribute('data-ratio'))));
      expect(shown).toHaveLength(4);
      const [quick, slow] = compared.map((c) => new Map(c.exported.backends.map((b) => [b.backend, b.summary.meanMs])));
      for (const backend of ['unshare', 'docker']) {
        // What the old "Mean vs none" column did: a backend's runs of both commands over none's of both.
        const mixed = [
          (slow?.get(backend) as number) / (quick?.get('none') as number),
          (quick?.get(backend) as number) / (slow?.get('none') as number),
        ];
        for (const wrong of mixed) expect(shown.every((r) => Math.abs(r - wrong) > 1e-6 * wrong)).toBe(true);
      }
      // The per-backend table over all workloads carries no ratio column at all.
      expect(await page.locator('#backends td[data-col="ratio"]').count()).toBe(0);
      fs.mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: path.join('test-results', 'dashboard-workloads.png'), fullPage: true });
    });
  },
);
