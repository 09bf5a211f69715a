import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describeWhen } from '../support/e2e';
import { startServe, type RunningServe } from '../../src/export/server';
import { startCanary } from '../../src/canary/startCanary';
import type { CanaryRound } from '../../src/canary/canaryRound';
import { toolMissing } from '../support/runners';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'];
const missing = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing` : toolMissing('unshare');

describeWhen('dashboard: overhead over time from a real canary (headless Chromium)', missing, 'apt-get install chromium util-linux', () => {
  jest.setTimeout(90_000);
  let dir: string;
  let server: RunningServe;
  let browser: Browser;
  const rounds: CanaryRound[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-canary-page-'));
    const file = path.join(dir, 'state.db');
    // Two real rounds of `sh -c 'sleep 0.05'` on none and unshare, recorded in a real history file.
    const canary = await startCanary({
      command: ['sh', '-c', 'sleep 0.05'],
      backends: ['unshare'],
      everyMs: 1000,
      runs: 3,
      warmup: 0,
      sandbox: { cwd: dir },
      db: file,
      onLine: () => undefined,
    });
    await new Promise<void>((resolve) =>
      canary.on('round', (round) => {
        rounds.push(round);
        if (rounds.length === 2) resolve();
      }),
    );
    await canary.stop();
    server = await startServe({ port: 0, dbPath: file });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as RunningServe | undefined)?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('one point per canary round with the ratio the canary computed, and the fixed cost per backend', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-loaded="true"]');

    const points = await page
      .locator('#overhead-canary circle[data-backend="unshare"]')
      .evaluateAll((nodes: { getAttribute(name: string): string | null }[]) =>
        nodes.map((n) => ({ round: Number(n.getAttribute('data-round')), ratio: Number(n.getAttribute('data-ratio')) })),
      );
    expect(points.map((p) => p.round)).toEqual(rounds.map((r) => r.startedAt));
    points.forEach((p, i) => expect(p.ratio).toBeCloseTo(rounds[i]?.backends[0]?.ratio as number, 9));
    expect(await page.textContent('#overhead-canary .legend')).toContain('unshare · sh -c sleep 0.05');
    const title = await page.textContent('#overhead-canary circle[data-backend="unshare"] title');
    expect(title).toMatch(/^unshare · sh -c sleep 0\.05 · round .+: \d+\.\d\d × \(3 pairs\)$/);

    for (const backend of ['none', 'unshare']) {
      expect(await page.locator(`#overhead-fixed circle[data-backend="${backend}"]`).count()).toBeGreaterThanOrEqual(1);
    }
    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: path.join('test-results', 'dashboard-canary.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
