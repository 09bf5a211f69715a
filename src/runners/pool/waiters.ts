import type { PooledSandbox } from './PooledSandbox';

/** A run waiting for a pooled sandbox: served first come, first served by the pool's offer(). */
export interface Waiter {
  resolve: (sandbox: PooledSandbox) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Queues a run for the next sandbox that becomes ready; it fails after `timeoutMs` with the last
 * refill failure (`lastFailure()` read then), and leaves the queue.
 */
export function waitForSandbox(waiters: Waiter[], timeoutMs: number, lastFailure: () => string | null): Promise<PooledSandbox> {
  return new Promise<PooledSandbox>((resolve, reject) => {
    const waiter: Waiter = {
      resolve,
      reject,
      timer: setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        const failure = lastFailure();
        reject(
          new Error(`no pooled sandbox became ready within ${timeoutMs} ms${failure === null ? '' : ` (last refill failure: ${failure})`}`),
        );
      }, timeoutMs),
    };
    waiters.push(waiter);
  });
}

/** Fails every waiting run with `message` and empties the queue. */
export function failWaiters(waiters: Waiter[], message: string): void {
  for (const waiter of waiters.splice(0)) {
    clearTimeout(waiter.timer);
    waiter.reject(new Error(message));
  }
}
