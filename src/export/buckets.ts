import { RUN_DURATION_BUCKETS_MS } from '../stats/durationBuckets';

/** RUN_DURATION_BUCKETS_MS (src/stats/durationBuckets.ts) in seconds, the unit of Prometheus and OpenTelemetry. */
export const RUN_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze(RUN_DURATION_BUCKETS_MS.map((ms) => ms / 1000));
