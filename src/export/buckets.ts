/**
 * Upper bounds, in seconds, of the run-duration histogram shared by the Prometheus collector and
 * the OpenTelemetry bridge. Sandbox runs go from a few milliseconds (a bare process) to minutes
 * (a cold container with a build inside), so the bounds run 5 ms … 300 s on a roughly 1-2.5-5
 * progression. 5 s is a bound because it is the monitor's default alert threshold: a p95 alert at
 * that threshold then reads an exact bucket edge instead of an interpolation.
 */
export const RUN_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
]);
