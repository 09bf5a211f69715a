/**
 * Upper bounds, in milliseconds, of the run-duration histogram: the one list behind the Prometheus
 * and OpenTelemetry buckets (in seconds: src/export/buckets.ts) and the dashboard's histogram, so
 * the page and Grafana agree. Sandbox runs go from a few milliseconds (a bare process) to minutes
 * (a cold container with a build inside), so the bounds run 5 ms … 300 s on a roughly 1-2.5-5
 * progression. 5 s is a bound because it is the monitor's default alert threshold: a p95 alert at
 * that threshold then reads an exact bucket edge instead of an interpolation.
 */
export const RUN_DURATION_BUCKETS_MS: readonly number[] = Object.freeze([
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000,
]);
