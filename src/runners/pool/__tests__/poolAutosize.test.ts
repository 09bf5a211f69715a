import fs from 'node:fs';
import { describeWhen } from '../../../../test/support/e2e';
import { dockerMissing, INSTALL_DOCKER, tempRecording } from '../../../../test/support/runners';
import { SandboxPoolCollector } from '../../../export/prometheus/PoolCollector';
import { createPool } from '../createPool';
import { eventually, poolContainersIn } from './support';

const recording = tempRecording();
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
});

describeWhen('a self-sizing docker-pool (real engine)', dockerMissing(), INSTALL_DOCKER, () => {
  test('grows under a burst within its bounds, says why in health() and Prometheus, and shrinks back to min when idle', async () => {
    const pool = await createPool('docker-pool', {
      cwd: recording.dir,
      size: { min: 1, max: 4, targetMissRate: 0.05, shrinkAfterMs: 3000 },
      monitor: recording.monitor,
    });
    const collector = new SandboxPoolCollector({ pools: [pool] });
    try {
      expect(pool.health()).toMatchObject({ size: 1, maxSandboxes: 8, autosize: { min: 1, max: 4, size: 1 } });
      const sizes: number[] = [];
      const causes = new Set<string>();
      let held = 0;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < 32) {
          next++;
          const { result } = await pool.run(['true']);
          expect(result.outcome).toBe('success');
          const h = pool.health();
          sizes.push(h.size);
          causes.add(h.autosize?.cause ?? 'none');
          held = Math.max(held, h.idle + h.starting + h.inUse);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const grown = pool.health();
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
      expect(held).toBeLessThanOrEqual(8);
      // Why it grew (by the time the last run returns, a loaded host may already call the pool idle: no run came for shrinkAfterMs).
      expect([...causes].filter((cause) => cause === 'little' || cause === 'misses')).not.toEqual([]);
      expect(grown.autosize?.refillMs).toBeGreaterThan(0);
      expect(grown.background.refillMs).toEqual(expect.any(Number));
      const text = await collector.metrics();
      expect(text).toMatch(/sandbox_pool_size\{backend="docker-pool"\} [1-4]\n/);
      expect(text).toMatch(/sandbox_pool_target_size\{backend="docker-pool"\} \d/);
      expect(text).toContain('sandbox_pool_size_bounds{backend="docker-pool",bound="max"} 4');
      expect(text).toMatch(/sandbox_pool_size_cause\{backend="docker-pool",cause="(little|misses|hold|idle)"\} 1/);
      expect(text).toMatch(/sandbox_pool_arrivals_per_second\{backend="docker-pool"\} [0-9.e-]+/);
      // No run for shrinkAfterMs: back to min, its extra sandboxes removed.
      expect(await eventually(() => pool.health().size === 1, 30_000)).toBe(true);
      expect(pool.health().autosize).toMatchObject({ size: 1, cause: 'idle' });
      await pool.backend.settled();
      expect(pool.health()).toMatchObject({ idle: 1, starting: 0, inUse: 0, removing: 0 });
      expect(await eventually(() => poolContainersIn(recording.dir).length === 1, 30_000)).toBe(true);
    } finally {
      collector.dispose();
      await pool.close();
    }
    expect(poolContainersIn(recording.dir)).toEqual([]);
  }, 300_000);
});
