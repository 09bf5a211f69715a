import type { Transport } from './agentChannel';

/** The pool backends: a pool of fresh `docker` (runc) or `gvisor` (runsc) containers. */
export type PoolBackendName = 'docker-pool' | 'gvisor-pool';

/** The Docker runtime of each pool backend; gVisor's is registered by .ci/docker-up.sh. */
export const RUNTIMES: Record<PoolBackendName, string | undefined> = { 'docker-pool': undefined, 'gvisor-pool': 'runsc' };
/** How each reaches its agents (see agentChannel.ts): runc sees a host socket, gVisor's sandbox does not. */
export const TRANSPORTS: Record<PoolBackendName, Transport> = { 'docker-pool': 'socket', 'gvisor-pool': 'attach' };
/** How to make gvisor-pool available. */
export const ENABLE_RUNSC = '.ci/docker-up.sh (registers runsc as a Docker runtime)';
/** Label naming the pool backend, next to the owner labels every container of this package carries. */
export const POOL_LABEL = 'sandbox-perf.pool';
