import type { SandboxPerfRecord } from './types';

/**
 * The record a monitor is handing to its StateDatabase at this moment. The monitor built it from
 * parts it has just checked (the id at start(), the outcome and details at stop(), numbers it
 * computed itself), so StateDatabase.insert does not check them a second time: the id's check alone
 * was a tenth of a start()+stop() pair (bench/startStop.ts), a backend's details cost far more. Set
 * just before that one call and cleared right after it: no other caller, and no later call with the
 * same object (whose fields may have changed since), is trusted.
 */
let current: SandboxPerfRecord | undefined;

export function handingOff(record: SandboxPerfRecord | undefined): void {
  current = record;
}

/** True while `record` is the one the monitor is handing off. */
export function isHandedOff(record: unknown): boolean {
  return current !== undefined && record === current;
}
