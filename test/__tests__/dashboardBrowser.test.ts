import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describeWhen } from '../support/e2e';
import { startServe, type RunningServe } from '../../src/export/server';
import { seedDatabase } from '../support/historyFixture';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

describeWhen('dashboard in headless Chromium', !fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing`, 'apt-get install chromium', () => {
  jest.setTimeout(60_000);
  let dir: string;
  let server: RunningServe;
  let browser: Browser;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-browser-'));
    const file = path.join(dir, 'state.db');
    await seedDatabase(file);
    server = await startServe({ port: 0, dbPath: file });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    // Unset when beforeAll failed part-way; closing what exists keeps that failure the one reported.
    await (browser as Browser | undefined)?.close();
    await (server as RunningServe | undefined)?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('loads with no console error, shows the seeded numbers, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(server.url);
    await page.waitForSelector('body[data-loaded="true"]');

    const text = async (selector: string): Promise<string> => ((await page.textContent(selector)) ?? '').trim();
    expect(await text('[data-testid="total-runs"] .value')).toBe('46');
    expect(await text('[data-testid="total-mean"] .value')).toBe('787 ms');
    expect(await text('[data-testid="total-p95"] .value')).toBe('2.00 s');
    expect(await text('[data-testid="total-max"] .value')).toBe('7.00 s');
    expect(await text('[data-testid="total-alerts"] .value')).toBe('2');
    expect(await text('[data-testid="total-outcomes"] .value')).toBe('43 / 2 / 1');

    const bucket = (label: string): Promise<string> => text(`#histogram text[data-bucket="${label}"]`);
    expect(await bucket('≤250ms')).toBe('11');
    expect(await bucket('≤2.5s')).toBe('10');
    expect(await bucket('≤10s')).toBe('2');
    expect(await page.locator('#timeline svg rect').count()).toBe(46);

    const cell = (backend: string, col: string): Promise<string> => text(`#backends tr[data-backend="${backend}"] td[data-col="${col}"]`);
    expect(await cell('none', 'mean')).toBe('105 ms');
    expect(await cell('none', 'p95')).toBe('190 ms');
    expect(await cell('docker', 'mean')).toBe('1.05 s');
    expect(await cell('docker', 'p95')).toBe('1.90 s');
    // Issue 14: the seeded runs name no workload, so no ratio is shown anywhere (it would divide unrelated commands).
    expect(await page.locator('#backends td[data-col="ratio"]').count()).toBe(0);
    expect(await text('#workloads')).toContain('No run in range names its workload');
    expect(await cell('bubblewrap', 'alerts')).toBe('1');
    // Issue 22: statistics of the successful runs; the 6 s timeout is counted apart, not averaged in.
    expect(await cell('bubblewrap', 'count')).toBe('3');
    expect(await cell('bubblewrap', 'failed')).toBe('1 / 0');
    expect(await cell('bubblewrap', 'p95')).toBe('50 ms');
    expect(await cell('unknown', 'mean')).toBe('–');
    expect(await cell('unknown', 'failed')).toBe('1 / 1');
    expect(
      await page
        .locator('#backends tr[data-backend]')
        .evaluateAll((rows: { getAttribute(name: string): string | null }[]) => rows.map((r) => r.getAttribute('data-backend'))),
    ).toEqual(['bubblewrap', 'none', 'docker', 'unknown']);

    expect(
      await page
        .locator('#alerts tr[data-sandbox]')
        .evaluateAll((rows: { getAttribute(name: string): string | null }[]) => rows.map((r) => r.getAttribute('data-sandbox'))),
    ).toEqual(['sb-44', 'sb-43']);
    expect(await text('#alerts tr[data-sandbox="sb-44"]')).toContain('7.00 s');

    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: path.join('test-results', 'dashboard.png'), fullPage: true });

    expect(problems).toEqual([]);
    expect(requests.every((url) => url.startsWith(server.url))).toBe(true);
    await page.close();
  });

  test('a missing history file is shown as a message, not an error', async () => {
    const missing = await startServe({ port: 0, dbPath: path.join(dir, 'absent.db') });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(missing.url);
      await page.waitForSelector('#status:not([hidden])');
      expect(await page.textContent('#status')).toContain('No history at');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await missing.close();
    }
  });
});
