import { asRegisters, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import { logOnce } from '../../log';
import { expectation, ValidationError } from '../../validation';
import type { PersistenceHealthSource } from '../sources';
import { PROMETHEUS_METRIC_NAMES } from './metricNames';

/** Registers a metric once under `name` (the collector's duplicate check and bookkeeping). */
export type Register = <T>(name: string, create: () => T) => T;

/**
 * The persistence gauges and counters of /metrics, read at scrape time from `source` (a
 * StateDatabase's health()): queued, written, dropped, failed writes. A health() that throws is
 * logged once and leaves the values as they were.
 */
export function registerPersistenceMetrics(source: PersistenceHealthSource, registry: RegistryLike, register: Register): void {
  if ((source as unknown) === null || typeof source !== 'object' || typeof source.health !== 'function') {
    throw new ValidationError(expectation('persistence', 'an object with a health() method (a StateDatabase)', source));
  }
  const prom = promClient();
  const read = (): ReturnType<PersistenceHealthSource['health']> | undefined => {
    try {
      return source.health();
    } catch (error) {
      logOnce(error, 'sandbox-perf: could not read persistence health for /metrics');
      return undefined;
    }
  };
  const N = PROMETHEUS_METRIC_NAMES;
  register(
    N.persistQueued,
    () =>
      new prom.Gauge({
        name: N.persistQueued,
        help: 'Records waiting to be written to SQLite, including a batch being written',
        registers: asRegisters(registry),
        collect() {
          const health = read();
          if (health) this.set(health.queued);
        },
      }),
  );
  // Counts that only grow for the life of the StateDatabase: counters whose value is read, not counted here.
  const counter = (name: string, help: string, pick: (h: NonNullable<ReturnType<typeof read>>) => number): void => {
    register(
      name,
      () =>
        new prom.Counter({
          name,
          help,
          registers: asRegisters(registry),
          collect() {
            const health = read();
            if (!health) return;
            this.reset();
            this.inc(pick(health));
          },
        }),
    );
  };
  counter(N.persistWritten, 'Records written to SQLite', (h) => h.written);
  counter(N.persistDropped, 'Records dropped because the write queue passed maxQueue during a fault', (h) => h.dropped);
  counter(N.persistFailedWrites, 'Batch writes to SQLite that failed (and were retried)', (h) => h.failedWrites);
}
