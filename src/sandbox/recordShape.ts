import { assertSandboxId, expectation, ValidationError } from '../validation';
import { OUTCOMES, type SandboxPerfRecord, type SandboxRunDetails } from './types';

/*
 * The shape of what is persisted, checked where it enters (stop(), StateDatabase.insert) so that a
 * bad value is a TypeError at the call instead of a row that fails inside a batch. Every failure
 * is a TypeError in the one message shape, naming the field (`details.phases.run`) and the value.
 */

/** Longest backend, phase, signal or timer name. */
export const MAX_NAME_LENGTH = 64;
/**
 * Most phases one record may carry (issue 23: stop() took 10 000, one row each). The backends
 * report at most nine; the bound leaves room for a caller's own while keeping a record's rows few.
 */
export const MAX_PHASES = 64;
/** Backend and phase names reach terminals, tables and metric labels: a short identifier. */
const NAME = /^[A-Za-z0-9._-]+$/;
const NAME_RULE = `a name of 1 to ${MAX_NAME_LENGTH} letters, digits, '.', '_' or '-'`;
/** Longest workload key or label (src/runners/workload.ts uses the same bound). */
const MAX_WORKLOAD_LENGTH = 200;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function fail(name: string, what: string, value: unknown): never {
  throw new ValidationError(expectation(name, what, value));
}

export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH && NAME.test(value);
}

/** Backend and phase names: `[A-Za-z0-9._-]`, 1 to 64 characters. */
export function assertName(name: string, value: unknown): asserts value is string {
  if (!isName(value)) fail(name, NAME_RULE, value);
}

function optionalNumber(name: string, value: unknown, min: number, integer: boolean): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isSafeInteger(value))) {
    const bound = Number.isFinite(min) ? ` >= ${min}` : '';
    fail(name, `null or a finite ${integer ? 'integer' : 'number'}${bound}`, value);
  }
}

function optionalString(name: string, value: unknown, max: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || value.length > max || CONTROL.test(value)) {
    fail(name, `null or a string of at most ${max} characters without control characters`, value);
  }
}

function optionalName(name: string, value: unknown): void {
  if (value !== undefined && value !== null) assertName(name, value);
}

function assertPhases(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('details.phases', 'an object of phase name → milliseconds', value);
  const entries = Object.entries(value);
  if (entries.length > MAX_PHASES) {
    throw new ValidationError(
      `${expectation('details.phases', `an object of at most ${MAX_PHASES} phases (each is a row of sandbox_run_phases)`, value)} with ${entries.length} phases`,
    );
  }
  for (const [phase, ms] of entries) {
    assertName('details.phases', phase);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) fail(`details.phases.${phase}`, 'a finite number >= 0', ms);
  }
}

/**
 * What a backend adds to a record. Keys it does not know are left alone (not stored), so that
 * a newer backend's extra field does not break an older monitor.
 */
export function assertRunDetails(value: unknown): asserts value is SandboxRunDetails {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('details', 'an object with a `backend` name', value);
  const d = value as Record<string, unknown>;
  assertName('details.backend', d.backend);
  assertPhases(d.phases);
  optionalNumber('details.exitCode', d.exitCode, Number.NEGATIVE_INFINITY, true);
  optionalName('details.signal', d.signal);
  optionalNumber('details.cpuMs', d.cpuMs, 0, false);
  optionalNumber('details.peakMemoryBytes', d.peakMemoryBytes, 0, true);
  if (d.error !== undefined && d.error !== null && typeof d.error !== 'string') fail('details.error', 'null or a string', d.error);
  optionalString('details.workload', d.workload, MAX_WORKLOAD_LENGTH);
  optionalString('details.workloadLabel', d.workloadLabel, MAX_WORKLOAD_LENGTH);
  optionalNumber('details.commandMs', d.commandMs, 0, false);
  optionalNumber('details.overheadMs', d.overheadMs, Number.NEGATIVE_INFINITY, false);
  optionalName('details.timer', d.timer);
  optionalNumber('details.canaryRound', d.canaryRound, 0, true);
}

/** A record handed to a sink directly (the monitor builds valid ones itself). */
export function assertRecord(value: unknown): asserts value is SandboxPerfRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('record', 'a SandboxPerfRecord object', value);
  const r = value as Record<string, unknown>;
  assertSandboxId(r.sandboxId, 'record.sandboxId');
  if (typeof r.startTime !== 'number' || !Number.isFinite(r.startTime) || r.startTime < 0) {
    fail('record.startTime', 'a finite number >= 0 (epoch milliseconds)', r.startTime);
  }
  if (typeof r.durationMs !== 'number' || !Number.isFinite(r.durationMs) || r.durationMs < 0) {
    fail('record.durationMs', 'a finite number >= 0', r.durationMs);
  }
  if (typeof r.outcome !== 'string' || !(OUTCOMES as readonly string[]).includes(r.outcome)) {
    fail('record.outcome', `one of ${OUTCOMES.map((o) => `'${o}'`).join(', ')}`, r.outcome);
  }
  if (typeof r.alertFired !== 'boolean') fail('record.alertFired', 'a boolean', r.alertFired);
}
