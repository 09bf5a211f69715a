import type { SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import type { PersistenceHealth } from '../state/StateDatabase';

/**
 * What the exporters need from a monitor: its 'record' event and `activeCount`. A
 * SandboxPerfMonitor fits; so does any emitter with the same event.
 */
export interface MonitorSource {
  on(event: 'record', listener: (record: SandboxPerfRecord, details: SandboxRunDetails | undefined) => void): unknown;
  off(event: 'record', listener: (record: SandboxPerfRecord, details: SandboxRunDetails | undefined) => void): unknown;
  readonly activeCount: number;
}

/** What the persistence gauges read at scrape time; a StateDatabase fits. */
export interface PersistenceHealthSource {
  health(): Pick<PersistenceHealth, 'queued' | 'written' | 'dropped' | 'failedWrites'>;
}
