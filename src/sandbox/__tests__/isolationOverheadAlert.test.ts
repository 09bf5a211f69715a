import { SandboxPerfMonitor } from '../SandboxPerfMonitor';
import type { IsolationOverheadAlert, OverheadAlert } from '../types';

// Fake timers move the monitor's clock (performance.now) exactly: a real 30 ms sleep lasted 47 ms
// on a loaded machine, which turned the 1 ms "cheap" overhead into an alert.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function timedRun(monitor: SandboxPerfMonitor, id: string, commandMs: number, runMs: number, backend = 'bubblewrap'): void {
  monitor.start(id);
  jest.advanceTimersByTime(runMs);
  monitor.stop(id, { outcome: 'success', details: { backend, workload: 'build', commandMs } });
}

test('isolation-overhead-alert fires on overheadMs, not on duration; the spec alert is untouched', () => {
  const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 5000, overheadAlertMs: 15 });
  const alerts: IsolationOverheadAlert[] = [];
  const specAlerts: OverheadAlert[] = [];
  monitor.on('isolation-overhead-alert', (alert) => alerts.push(alert));
  monitor.on('overhead-alert', (alert) => specAlerts.push(alert));
  // 30 ms run whose command took 29: 1 ms of overhead, no alert.
  timedRun(monitor, 'cheap', 29, 30);
  // 30 ms run whose command took 1: 29 ms of overhead, over 15.
  timedRun(monitor, 'costly', 1, 30);
  monitor.start('untimed');
  monitor.stop('untimed', { outcome: 'success', details: { backend: 'bubblewrap' } });
  expect(alerts).toEqual([{ sandboxId: 'costly', backend: 'bubblewrap', workload: 'build', durationMs: 30, commandMs: 1, overheadMs: 29 }]);
  expect(specAlerts).toEqual([]);
});

test('overheadAlertRatio compares overhead with the command time', () => {
  const monitor = new SandboxPerfMonitor({ sink: false, overheadAlertRatio: 1 });
  const ids: string[] = [];
  monitor.on('isolation-overhead-alert', (alert) => ids.push(alert.sandboxId));
  timedRun(monitor, 'mostly-command', 25, 30);
  timedRun(monitor, 'mostly-sandbox', 5, 30);
  expect(ids).toEqual(['mostly-sandbox']);
});

test('bad thresholds are refused with the one message shape', () => {
  expect(() => new SandboxPerfMonitor({ sink: false, overheadAlertMs: -1 })).toThrow(
    /^Expected `overheadAlertMs` to be a finite number >= 0, got `-1` \(number\)$/,
  );
  expect(() => new SandboxPerfMonitor({ sink: false, overheadAlertRatio: Number.NaN })).toThrow(/Expected `overheadAlertRatio`/);
});

// Issue 22: `none` isolates nothing, yet a slow spawn on it fired 'isolation-overhead-alert'.
test('the baseline backend none never fires isolation-overhead-alert, over either threshold', () => {
  const monitor = new SandboxPerfMonitor({ sink: false, overheadAlertMs: 5, overheadAlertRatio: 1 });
  const alerts: IsolationOverheadAlert[] = [];
  const overheads: unknown[] = [];
  monitor.on('isolation-overhead-alert', (alert) => alerts.push(alert));
  monitor.on('record', (_record, details) => overheads.push([details?.backend, details?.overheadMs]));
  // Both runs add 30 ms to a 10 ms command (over 5 ms and over 1 × the command): only unshare's is isolation's.
  timedRun(monitor, 'base', 10, 40, 'none');
  timedRun(monitor, 'isolated', 10, 40, 'unshare');
  expect(alerts.map((a) => [a.backend, a.overheadMs])).toEqual([['unshare', 30]]);
  // none's overhead is still computed and recorded: the runner's own cost, the baseline's.
  expect(overheads).toEqual([
    ['none', 30],
    ['unshare', 30],
  ]);
});
