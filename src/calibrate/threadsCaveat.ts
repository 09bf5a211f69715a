/*
 * What a gVisor prediction leaves out for a program whose threads hand work to each other. On
 * gVisor's ptrace platform a task handed to a sleeping thread while the others hold the cores
 * costs more than its calls (docs/calibration.md, "A program that reproduces the threads' loss"),
 * and no count the host can take carries it. tsc, whose V8 worker pool made 2 180-2 459 calls on
 * threads other than its first, was predicted 12-34 % low in every check; with node's
 * `--v8-pool-size=0` (597 such calls) its measured cost fell from +2.024 to +1.577 s while its
 * prediction stayed at +1.33 s (docs/large-projects.md, 2026-12-07).
 */
import type { OperationCounts } from './profile';
import { backendEntry } from '../runners/backendNames';
import type { BackendName } from '../runners/backends';

/** Calls on other threads from which the caveat is said: node -e 0 makes 71, tsc without its pool 597, tsc 2 180+. */
export const THREADED_CALLS = 1000;

/** The caveat for the gVisor backends among `backends` (the registry's `kernel`), or null (none, or too few calls on other threads). */
export function threadsCaveat(backends: readonly BackendName[], counts: Pick<OperationCounts, 'thread'>): string | null {
  const gvisor = backends.filter((b) => backendEntry(b).kernel === 'gVisor');
  if (gvisor.length === 0 || counts.thread < THREADED_CALLS) return null;
  return (
    `the command made ${counts.thread.toLocaleString('en-US')} calls on threads other than its first: on gVisor's ptrace platform, ` +
    'work handed between threads costs more than its calls, and no count carries it (tsc with its V8 worker pool: predicted 12-34 % low), ' +
    `so read ${gvisor.join(' and ')}'s prediction as a lower bound (for Node, NODE_OPTIONS=--v8-pool-size=0 cut tsc's gVisor cost by 0.45 s here)`
  );
}
