/*
 * Type tests for the public API, imported from the package root as a user would.
 * `tsc --noEmit` (first step of `npm test`) checks them; a `@ts-expect-error` line whose call
 * compiles fails that step. Jest runs the file too, for the few runtime facts next to the types.
 */
import type { Meter } from '@opentelemetry/api';
import { expectTypeOf } from 'expect-type';
import {
  DEFAULT_ALERT_THRESHOLD_MS,
  DEFAULT_RETAIN_SAMPLES,
  SandboxPerfMonitor,
  SandboxRunStateError,
  runInSandbox,
  startCanary,
  DEFAULT_CANARY_EVERY_MS,
  DEFAULT_CANARY_RUNS,
  type Canary,
  type CanaryRound,
  type StartCanaryOptions,
  sandboxPerfMonitor,
  type OverheadAlert,
  type PerfMonitorOptions,
  type PerfReport,
  type RecordSink,
  type SandboxOutcome,
  type SandboxPerfRecord,
  type SandboxRun,
  type SandboxRunDetails,
  type StopMeta,
  type MeterLike,
  type SandboxPerfOtelBridgeOptions,
  type KeepReport,
  type SandboxOptions,
  type SandboxResult,
  type WorkdirMode,
  WORKDIR_MODES,
} from '../index';

const monitor = new SandboxPerfMonitor({ sink: false });

describe('public API types', () => {
  test("the 'overhead-alert' payload is OverheadAlert: sandboxId, durationMs, thresholdMs", () => {
    expectTypeOf<OverheadAlert>().toEqualTypeOf<{ sandboxId: string; durationMs: number; thresholdMs: number }>();
    monitor.on('overhead-alert', (alert) => {
      expectTypeOf(alert).toEqualTypeOf<OverheadAlert>();
    });
    // @ts-expect-error the payload is an object, not a number
    monitor.on('overhead-alert', (durationMs: number) => durationMs);
    expectTypeOf<OverheadAlert>().not.toHaveProperty('outcome');
    monitor.on('record', (record, details) => {
      expectTypeOf(record).toEqualTypeOf<SandboxPerfRecord>();
      expectTypeOf(details).toEqualTypeOf<SandboxRunDetails | undefined>();
    });
    monitor.removeAllListeners();
  });

  test('SandboxPerfRecord is the spec record, and stop() returns it', () => {
    expectTypeOf<SandboxOutcome>().toEqualTypeOf<'success' | 'timeout' | 'error'>();
    expectTypeOf<SandboxPerfRecord>().toEqualTypeOf<{
      sandboxId: string;
      startTime: number;
      durationMs: number;
      outcome: SandboxOutcome;
      alertFired: boolean;
    }>();
    expectTypeOf<SandboxPerfMonitor['stop']>().returns.toEqualTypeOf<SandboxPerfRecord>();
    expectTypeOf<SandboxPerfMonitor['start']>().toEqualTypeOf<(sandboxId: string) => void>();
  });

  test('stop() takes meta: { outcome, details? }', () => {
    expectTypeOf<SandboxPerfMonitor['stop']>().parameters.toEqualTypeOf<[sandboxId: string, meta: StopMeta]>();
    expectTypeOf<StopMeta>().toEqualTypeOf<{ outcome: SandboxOutcome; details?: SandboxRunDetails }>();
    expectTypeOf<SandboxRunDetails>().toHaveProperty('backend').toEqualTypeOf<string>();
    expectTypeOf<SandboxRunDetails['phases']>().toEqualTypeOf<Readonly<Record<string, number>> | undefined>();

    monitor.start('types-1');
    monitor.stop('types-1', { outcome: 'success', details: { backend: 'none', phases: { run: 1 }, exitCode: 0 } });
    const wrong = (): void => {
      // @ts-expect-error meta is required
      monitor.stop('types-1');
      // @ts-expect-error 'ok' is not an outcome
      monitor.stop('types-1', { outcome: 'ok' });
      // @ts-expect-error the spec's meta is an object, not a bare outcome
      monitor.stop('types-1', 'success');
      // @ts-expect-error details need a backend name
      monitor.stop('types-1', { outcome: 'error', details: { exitCode: 1 } });
      // @ts-expect-error ids are strings
      monitor.start(42);
    };
    expect(wrong).toThrow(SandboxRunStateError);
  });

  test('PerfMonitorOptions: every option is optional, with the documented defaults', () => {
    expectTypeOf<PerfMonitorOptions>().toEqualTypeOf<{
      alertThresholdMs?: number;
      overheadAlertMs?: number;
      overheadAlertRatio?: number;
      retainSamples?: number;
      sink?: RecordSink | false;
    }>();
    expectTypeOf<ConstructorParameters<typeof SandboxPerfMonitor>>().toEqualTypeOf<[options?: PerfMonitorOptions]>();
    expectTypeOf<typeof DEFAULT_ALERT_THRESHOLD_MS>().toEqualTypeOf<5000>();
    expectTypeOf<typeof DEFAULT_RETAIN_SAMPLES>().toEqualTypeOf<100_000>();
    expect(new SandboxPerfMonitor({ sink: false }).thresholdMs).toBe(DEFAULT_ALERT_THRESHOLD_MS);
    expect(new SandboxPerfMonitor({ sink: false, alertThresholdMs: 250 }).thresholdMs).toBe(250);

    const sink: RecordSink = {
      insert(table, record, details) {
        expectTypeOf(table).toEqualTypeOf<'sandbox_perf_records'>();
        expectTypeOf(record).toEqualTypeOf<SandboxPerfRecord>();
        expectTypeOf(details).toEqualTypeOf<SandboxRunDetails | undefined>();
      },
    };
    expect(() => new SandboxPerfMonitor({ sink })).not.toThrow();
    // @ts-expect-error the threshold is a number of milliseconds
    expect(() => new SandboxPerfMonitor({ alertThresholdMs: '5s', sink: false })).toThrow(TypeError);
    // @ts-expect-error `sink: true` is not a sink
    expect(() => new SandboxPerfMonitor({ sink: true })).toThrow(TypeError);
    // @ts-expect-error unknown option
    expect(() => new SandboxPerfMonitor({ thresholdMs: 10, sink: false })).toThrow(TypeError);
  });

  test('getReport() and the singleton', () => {
    expectTypeOf(monitor.getReport()).toEqualTypeOf<PerfReport>();
    expectTypeOf<PerfReport>().toExtend<{ count: number; meanMs: number; maxMs: number; p95Ms: number; alertCount: number }>();
    expectTypeOf(sandboxPerfMonitor).toEqualTypeOf<SandboxPerfMonitor>();
    expectTypeOf(monitor.thresholdMs).toEqualTypeOf<number>();
    // @ts-expect-error the threshold is fixed at construction
    expect(() => (monitor.thresholdMs = 1)).toThrow(TypeError);
  });

  test('runInSandbox resolves to a SandboxRun; backend names are checked', () => {
    expectTypeOf(runInSandbox).returns.toEqualTypeOf<Promise<SandboxRun>>();
    expectTypeOf<SandboxRun['record']>().toEqualTypeOf<SandboxPerfRecord>();
    const wrong = (): Promise<SandboxRun> =>
      // @ts-expect-error no such backend
      runInSandbox('chroot', ['true'], { monitor });
    expectTypeOf(wrong).returns.resolves.toHaveProperty('setup');
  });

  test("the OpenTelemetry bridge takes @opentelemetry/api's Meter, typed by its shape (issue 22: no optional peer in the declarations)", () => {
    expectTypeOf<SandboxPerfOtelBridgeOptions['meter']>().toEqualTypeOf<MeterLike | undefined>();
    expectTypeOf<Meter>().toExtend<MeterLike>();
    // @ts-expect-error a meter needs the instrument factories the bridge calls
    expectTypeOf<{ createHistogram(name: string): { record(value: number): void } }>().toExtend<MeterLike>();
  });

  test("workdir is 'rw' | 'overlay' | 'ro', keep a list of paths; a result says what keep copied", () => {
    expectTypeOf<SandboxOptions['workdir']>().toEqualTypeOf<WorkdirMode | undefined>();
    expectTypeOf<SandboxOptions['keep']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<SandboxResult['kept']>().toEqualTypeOf<KeepReport | undefined>();
    const wrong = (): Promise<SandboxRun> =>
      // @ts-expect-error no such mode
      runInSandbox('bubblewrap', ['true'], { monitor, workdir: 'tmpfs' });
    expectTypeOf(wrong).returns.resolves.toHaveProperty('result');
    expect(WORKDIR_MODES).toEqual(['rw', 'overlay', 'ro']);
  });

  test('startCanary resolves to a Canary: stop(), the latest round, stats; options with their defaults', async () => {
    expectTypeOf(startCanary).parameter(0).toEqualTypeOf<StartCanaryOptions>();
    expectTypeOf(startCanary).returns.toEqualTypeOf<Promise<Canary>>();
    expectTypeOf<Canary['stop']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<Canary['latest']>().toEqualTypeOf<CanaryRound | null>();
    expectTypeOf<Canary['stats']>().toEqualTypeOf<{ rounds: number; skipped: number; failed: number; cpuMs: number }>();
    expectTypeOf<CanaryRound['backends'][number]['ratio']>().toEqualTypeOf<number | null>();
    expect([DEFAULT_CANARY_EVERY_MS, DEFAULT_CANARY_RUNS]).toEqual([600_000, 5]);
    // @ts-expect-error the interval is in milliseconds, under its unit's name
    await expect(startCanary({ command: ['true'], every: 1000 })).rejects.toThrow(/did you mean `everyMs`\?/);
  });
});
