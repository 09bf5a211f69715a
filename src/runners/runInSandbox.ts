import { randomUUID } from 'node:crypto';
import { sandboxPerfMonitor, type SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import type { SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import { assertPlainObject, assertSandboxId, expectation } from '../validation';
import { createBackend } from './createBackend';
import { assertBackendName, assertCommand, resolveRunOptions, RUN_OPTION_KEYS, SANDBOX_OPTION_KEYS } from './options';
import type { BackendName, RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from './types';

export interface RunInSandboxOptions extends SandboxOptions, RunOptions {
  /** Where the run is recorded. @default the process-wide `sandboxPerfMonitor` */
  monitor?: SandboxPerfMonitor;
  /** The record's id. @default `<backend>-<random UUID>` */
  sandboxId?: string;
}

export interface SandboxRun {
  record: SandboxPerfRecord;
  result: SandboxResult;
  /** Milliseconds spent in `prepare` and `teardown` when `runInSandbox` created the backend (outside the record). */
  setup: { prepareMs: number; teardownMs: number } | null;
}

function isBackend(value: unknown): value is SandboxBackend {
  return typeof value === 'object' && value !== null && typeof (value as SandboxBackend).run === 'function';
}

/** What the monitor stores next to the record (sandbox_run_details, sandbox_run_phases). */
export function toRunDetails(result: SandboxResult): SandboxRunDetails {
  return {
    backend: result.backend,
    phases: result.phases,
    exitCode: result.exitCode,
    signal: result.signal,
    cpuMs: result.cpuMs,
    peakMemoryBytes: result.peakMemoryBytes,
    error: result.error,
  };
}

/**
 * Runs `command` in a sandbox and records it through the monitor. `backend` is a name (a backend
 * is created, prepared, used once and torn down) or a backend already prepared (reused as is; pass
 * only run options then). The record covers the run alone, so it means the same either way;
 * a one-shot call reports its prepare/teardown time in `setup`. A backend that cannot run here
 * throws BackendUnavailableError before anything is recorded.
 */
export async function runInSandbox(
  backend: BackendName | SandboxBackend,
  command: readonly string[],
  options: RunInSandboxOptions = {},
): Promise<SandboxRun> {
  assertPlainObject('options', options);
  const { monitor = sandboxPerfMonitor, sandboxId, ...rest } = options;
  const runOptions: RunOptions = {};
  const sandboxOptions: SandboxOptions = {};
  for (const key of RUN_OPTION_KEYS) if (rest[key] !== undefined) runOptions[key] = rest[key];
  for (const key of SANDBOX_OPTION_KEYS) if (rest[key] !== undefined) (sandboxOptions as Record<string, unknown>)[key] = rest[key];
  if (!isBackend(backend)) assertBackendName(backend);
  assertCommand(command);
  resolveRunOptions(runOptions);
  if (sandboxId !== undefined) assertSandboxId(sandboxId);
  if (typeof monitor !== 'object' || (monitor as unknown) === null || typeof monitor.start !== 'function') {
    throw new TypeError(expectation('monitor', 'a SandboxPerfMonitor', monitor));
  }

  let owned: SandboxBackend | undefined;
  let sandbox: SandboxBackend;
  if (isBackend(backend)) {
    const given = Object.keys(sandboxOptions);
    if (given.length > 0) {
      throw new TypeError(
        expectation(
          `options.${given[0]}`,
          'unset when a backend object is passed (set it when creating the backend)',
          sandboxOptions[given[0] as keyof SandboxOptions],
        ),
      );
    }
    sandbox = backend;
  } else {
    sandbox = owned = createBackend(backend, sandboxOptions);
  }

  let t = performance.now();
  if (owned) await owned.prepare();
  const prepareMs = performance.now() - t;
  let run: SandboxRun;
  try {
    const id = sandboxId ?? `${sandbox.name}-${randomUUID()}`;
    monitor.start(id);
    let result: SandboxResult;
    try {
      result = await sandbox.run(command, runOptions);
    } catch (error) {
      monitor.stop(id, {
        outcome: 'error',
        details: { backend: sandbox.name, error: error instanceof Error ? error.message : String(error) },
      });
      throw error;
    }
    const record = monitor.stop(id, { outcome: result.outcome, details: toRunDetails(result) });
    run = { record, result, setup: null };
  } finally {
    if (owned) {
      t = performance.now();
      await owned.teardown();
    }
  }
  if (owned) run.setup = { prepareMs, teardownMs: performance.now() - t };
  return run;
}
