import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describeWhen } from '../support/e2e';
import { seedDatabase } from '../support/historyFixture';
import { createDashboardHandler } from '../../src/export/dashboard/dashboardHandler';
import { HistoryConnection } from '../../src/export/dashboard/HistoryConnection';
import type { PoolHealth } from '../../src/runners/pool/PoolStats';

const CHROMIUM = '/usr/bin/chromium';

/** A pool's health as health() returns it; `autosize` decides whether it sizes itself. */
function health(backend: string, autosize: PoolHealth['autosize']): PoolHealth {
  const background = { createMs: 300, attachMs: 5, startMs: 200, readyMs: 100, removeMs: 150, refillMs: 640 };
  return {
    backend,
    runtime: backend === 'runc-pool' ? 'crun' : 'docker',
    size: autosize?.size ?? 2,
    autosize,
    maxSandboxes: 16,
    idle: 3,
    starting: 1,
    inUse: 2,
    removing: 0,
    waiting: 0,
    runs: 120,
    misses: 4,
    refills: 126,
    refillsPerSecond: 2.5,
    failures: 0,
    consecutiveFailures: 0,
    backoffMs: 0,
    lastFailure: null,
    discarded: 0,
    background,
    closed: false,
  };
}

describeWhen(
  'dashboard pools table in headless Chromium',
  !fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing`,
  'apt-get install chromium',
  () => {
    jest.setTimeout(60_000);

    test("a self-sizing pool's decision is in the Sizing column (bounds, target, cause, measurements; the reason in the tooltip); a fixed pool says fixed", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pools-page-'));
      const file = path.join(dir, 'state.db');
      await seedDatabase(file);
      const history = new HistoryConnection(file);
      const reason = '3.20 runs/s × 640 ms refill = 2.05 in refill; 6 keep misses under 0.05';
      const pools = [
        { health: () => health('docker-pool', null) },
        {
          health: () =>
            health('runc-pool', {
              min: 2,
              max: 16,
              targetMissRate: 0.05,
              size: 6,
              target: 6,
              cause: 'little',
              reason,
              arrivalRate: 3.2,
              refillMs: 640,
              missRate: 0.02,
            }),
        },
      ];
      const handler = createDashboardHandler(history, { pools });
      const server = http.createServer((req, res) => {
        if (!handler(req, res)) res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        await page.waitForSelector('body[data-loaded="true"]');
        const cell = (backend: string, column: number) => page.locator(`tr[data-pool="${backend}"] td`).nth(column);
        expect(await cell('docker-pool', 1).textContent()).toBe('2');
        expect(await cell('docker-pool', 2).textContent()).toBe('fixed');
        expect(await cell('runc-pool', 1).textContent()).toBe('6');
        expect(await cell('runc-pool', 2).textContent()).toBe('2–16, target 6 (little; 3.20 runs/s, refill 640 ms, misses 2.0%)');
        expect(await cell('runc-pool', 2).getAttribute('title')).toBe(`${reason} (3.20 runs/s, refill 640 ms, misses 2.0%)`);
        expect(await page.locator('#pools th').allTextContents()).toContain('Sizing');
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
        server.close();
        history.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
