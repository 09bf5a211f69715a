import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describeWhen } from '../support/e2e';
import { startServe, type RunningServe } from '../../src/export/server';
import { changeRuns, dockerStart, STEP_AT } from '../support/changeFixture';
import { writeCurrent } from '../support/historyFixture';

const CHROMIUM = '/usr/bin/chromium';

/* The dashboard's time chart marks a change point: a dashed line at its time, titled like the CLI's line. */
describeWhen(
  'dashboard change marks in headless Chromium',
  !fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing`,
  'apt-get install chromium',
  () => {
    jest.setTimeout(60_000);
    let dir: string;
    let server: RunningServe;
    let browser: Browser;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-marks-browser-'));
      const file = path.join(dir, 'state.db');
      await writeCurrent(file, changeRuns());
      server = await startServe({ port: 0, dbPath: file, changeIntervalMs: 0, onChangeLine: () => undefined });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
    });
    afterAll(async () => {
      await (browser as Browser | undefined)?.close();
      await (server as RunningServe | undefined)?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the docker step is drawn on the runs-over-time chart with its size and p-value', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      try {
        await page.goto(server.url);
        await page.waitForSelector('body[data-loaded="true"]');
        const marks = page.locator('#timeline svg g.change');
        expect(await marks.count()).toBe(1);
        expect(await marks.first().getAttribute('data-change-backend')).toBe('docker');
        expect(Number(await marks.first().getAttribute('data-change-time'))).toBe(dockerStart(STEP_AT));
        expect(await marks.first().locator('text').textContent()).toBe('+18 % docker');
        expect(await marks.first().locator('title').textContent()).toMatch(
          /^\+18 % duration on docker since 2026-12-03 \d\d:\d\d:\d\dZ \(p = [0-9.e-]+\): mean 50\d ms → 59\d ms$/,
        );
        expect(await page.textContent('#timeline-bin')).toContain('1 change point (dashed; hover for details)');
        fs.mkdirSync('test-results', { recursive: true });
        await page.screenshot({ path: path.join('test-results', 'dashboard-change-marks.png'), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    });
  },
);
