import { SandboxPerfMonitor } from '../SandboxPerfMonitor';
import type { IsolationOverheadAlert, OverheadAlert } from '../types';

function timedRun(monitor: SandboxPerfMonitor, id: string, commandMs: number, sleepMs: number): Promise<void> {
  monitor.start(id);
  return new Promise((resolve) =>
    setTimeout(() => {
      monitor.stop(id, { outcome: 'success', details: { backend: 'bubblewrap', workload: 'build', commandMs } });
      resolve();
    }, sleepMs),
  );
}

test('isolation-overhead-alert fires on overheadMs, not on duration; the spec alert is untouched', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 5000, overheadAlertMs: 15 });
  const alerts: IsolationOverheadAlert[] = [];
  const specAlerts: OverheadAlert[] = [];
  monitor.on('isolation-overhead-alert', (alert) => alerts.push(alert));
  monitor.on('overhead-alert', (alert) => specAlerts.push(alert));
  // 30 ms run whose command took 29: 1 ms of overhead, no alert.
  await timedRun(monitor, 'cheap', 29, 30);
  // 30 ms run whose command took 1: ~29 ms of overhead, over 15.
  await timedRun(monitor, 'costly', 1, 30);
  monitor.start('untimed');
  monitor.stop('untimed', { outcome: 'success', details: { backend: 'none' } });
  expect(alerts).toHaveLength(1);
  const [alert] = alerts as [IsolationOverheadAlert];
  expect(alert).toEqual({
    sandboxId: 'costly',
    backend: 'bubblewrap',
    workload: 'build',
    durationMs: expect.any(Number) as number,
    commandMs: 1,
    overheadMs: alert.durationMs - 1,
  });
  expect(alert.overheadMs).toBeGreaterThan(15);
  expect(specAlerts).toEqual([]);
});

test('overheadAlertRatio compares overhead with the command time', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false, overheadAlertRatio: 1 });
  const ids: string[] = [];
  monitor.on('isolation-overhead-alert', (alert) => ids.push(alert.sandboxId));
  await timedRun(monitor, 'mostly-command', 25, 30);
  await timedRun(monitor, 'mostly-sandbox', 5, 30);
  expect(ids).toEqual(['mostly-sandbox']);
});

test('bad thresholds are refused with the one message shape', () => {
  expect(() => new SandboxPerfMonitor({ sink: false, overheadAlertMs: -1 })).toThrow(
    /^Expected `overheadAlertMs` to be a finite number >= 0, got `-1` \(number\)$/,
  );
  expect(() => new SandboxPerfMonitor({ sink: false, overheadAlertRatio: Number.NaN })).toThrow(/Expected `overheadAlertRatio`/);
});
