/**
 * End-to-end tests need parts a fresh machine may lack (Docker engine, bubblewrap, Prometheus,
 * Chromium). They skip with the command that installs the part, so `npm test` passes for a
 * newcomer; under SANDBOX_PERF_E2E=required (set by .ci/run) a missing part fails instead.
 */
export const e2eRequired = process.env.SANDBOX_PERF_E2E === 'required';

/**
 * `describe` when `missing` is false/undefined; otherwise a skipped block with a message naming
 * `install`, or, under SANDBOX_PERF_E2E=required, a block with one failing test saying why
 * (unless the part is `optional`).
 */
export function describeWhen(
  title: string,
  missing: string | false | undefined,
  install: string,
  body: () => void,
  options: { optional?: boolean } = {},
): void {
  if (!missing) {
    describe(title, body);
    return;
  }
  const why = `${title}: ${missing} (install: ${install})`;
  // An optional part (gVisor: Debian's runsc does not install everywhere) may skip even in CI.
  if (e2eRequired && !options.optional) {
    describe(title, () => {
      test('required part is present (SANDBOX_PERF_E2E=required)', () => {
        throw new Error(why);
      });
    });
    return;
  }
  process.stderr.write(`skipped ${why}\n`);
  describe.skip(title, body);
}

/**
 * `stderr` without the host backends' sweep line: it reports the groups of runners that died
 * elsewhere on this machine (test files beside the caller SIGKILL runners on purpose), which any
 * run on a host backend may find and remove. Everything else a command printed stays.
 */
export function besidesSweep(stderr: string): string {
  return stderr.replace(/^sandbox-perf: removed \d+ cgroup\(s\) left by runners that died\n/m, '');
}
