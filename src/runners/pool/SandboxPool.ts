import { BackendNotPreparedError } from '../errors';
import { failedResult } from '../host/hostProcess';
import { afterSignalCleanup, registerRun } from '../inFlightRuns';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import type { RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';
import type { PooledSandbox, HandOff } from './PooledSandbox';
import { refillBackoffMs, resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './poolOptions';
import { PoolSizing } from './PoolSizing';
import { PoolStats, type PoolHealth } from './PoolStats';
import { poolRunResult } from './poolRunResult';
import type { PoolBackendName } from './poolBackends';
import { keepFromSandbox } from './poolWorkdir';
import { checkSource, openSource, type SandboxSource } from './sandboxSource';
import { failWaiters, waitForSandbox, type Waiter } from './waiters';

export type { PoolBackendName };

/** Sandboxes a run may find dead before it gives up (each one is discarded, never handed out). */
const MAX_REFUSALS = 3;
/** Longest wait for the removals of a closing pool. */
const CLOSE_WAIT_MS = 10_000;

export interface SandboxPoolOptions extends SandboxOptions {
  pool?: PoolOptions;
}

/**
 * `docker-pool` / `gvisor-pool` / `runc-pool`: a pool of fresh containers (started through Docker's
 * engine, or by runc itself for runc-pool: sandboxSource.ts), created and started ahead of demand,
 * each running the agent (agentScript.ts) that waits on its channel (a bound Unix socket for
 * docker-pool, the attached stdin for gvisor-pool; agentChannel.ts) for one command. A run takes an
 * idle sandbox (phase `acquire`), hands it the command (`hand-off`), which the agent runs behind the
 * launcher when it is built (`command`) and reports (`result`); the container then serves no other
 * run and is removed in the background while the pool refills. The engine's API is not on the
 * run's path: the hand-off is a write to a channel opened before the sandbox became idle.
 * Containers have `docker`'s settings (containerSpec), the runtime, the agent socket's bind and the
 * agent's user aside (agentSpec.ts), and carry the owner's labels (containerOwner.ts).
 */
export class SandboxPool implements SandboxBackend {
  readonly options: Readonly<ResolvedSandboxOptions>;
  readonly poolOptions: Readonly<ResolvedPoolOptions>;
  /** What starts this pool's sandboxes (sandboxSource.ts); set by prepare. */
  private source: SandboxSource | undefined;
  private readonly idle: PooledSandbox[] = [];
  private readonly inUse = new Set<PooledSandbox>();
  private readonly removals = new Set<Promise<void>>();
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  /** Runs whose removal and refill are set up on the next turn of the event loop (see run). */
  private deferred = 0;
  private backoffUntil = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private unregister: (() => void) | undefined;
  private readonly stats = new PoolStats();
  /** The size kept now: `size`, or what the self-sizing policy decided (PoolSizing.ts). */
  private readonly sizing: PoolSizing;
  /** Set while prepare() waits: called with null once `size` sandboxes are idle, or with the first failure. */
  private onFilled: ((failure: string | null) => void) | undefined;

  constructor(
    readonly name: PoolBackendName,
    options: SandboxPoolOptions = {},
  ) {
    const { pool, ...sandbox } = options;
    this.options = resolveSandboxOptions(sandbox);
    this.poolOptions = resolvePoolOptions(pool);
    this.sizing = new PoolSizing(this.poolOptions.size, this.poolOptions.autosize, () => this.resized());
  }

  /** Checks this pool can run here (engine, image, runtime; runc and its bundle) without starting anything; what `detectBackends` calls. */
  check(): Promise<void> {
    return checkSource(this.name, this.options);
  }

  /** Connects, removes containers of pools whose owner died, and fills the pool: resolves once `size` sandboxes are ready. */
  async prepare(): Promise<void> {
    if (this.source) return;
    // Opening removes the containers whose owner died (a SIGKILLed pool's among them).
    this.source = await openSource(this.name, this.options);
    this.closed = false;
    this.unregister = registerRun(`${this.name} pool`, () => this.close());
    this.sizing.start();
    await new Promise<void>((resolve, reject) => {
      this.onFilled = (failure) => {
        this.onFilled = undefined;
        if (failure === null) resolve();
        else reject(new Error(`${this.name}: the pool did not fill: ${failure}`));
      };
      this.fill();
    }).catch(async (error: unknown) => {
      await this.teardown();
      throw error;
    });
  }

  /**
   * Resolves once no sandbox is being started or removed (or the pool closed, or `timeoutMs`
   * passed): `compare` waits for it between runs, so that one pool's background refill does not
   * run during, and slow down, the next backend's timed run.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!this.closed && (this.deferred > 0 || this.starting > 0 || this.removals.size > 0) && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  health(): PoolHealth {
    return {
      backend: this.name,
      runtime: this.source?.runtime ?? null,
      size: this.sizing.size,
      autosize: this.sizing.decision(),
      maxSandboxes: this.poolOptions.maxSandboxes,
      idle: this.idle.length,
      starting: this.starting,
      inUse: this.inUse.size,
      removing: this.removals.size,
      waiting: this.waiters.length,
      ...this.stats.counters(),
      backoffMs: Math.max(0, this.backoffUntil - performance.now()),
      closed: this.closed,
    };
  }

  /**
   * Starts sandboxes until idle + starting covers `size` plus the runs waiting, within `maxSandboxes`:
   * `refillConcurrency` at once, or one per waiting run when more wait (each would have started its
   * own container under `docker`; at concurrency 4 a bound of 2 made the pool refill-bound at 0.61×
   * docker's throughput).
   */
  private fill(): void {
    const source = this.source;
    if (!source || this.closed) return;
    const { maxSandboxes, refillConcurrency } = this.poolOptions;
    const size = this.sizing.size;
    while (
      this.starting < Math.max(this.sizing.refillConcurrency(refillConcurrency), this.waiters.length) &&
      this.idle.length + this.starting < size + this.waiters.length &&
      this.idle.length + this.starting + this.inUse.size < maxSandboxes &&
      performance.now() >= this.backoffUntil
    ) {
      this.starting++;
      const began = performance.now();
      source.start().then(
        (sandbox) => {
          this.starting--;
          this.sizing.refilled(this.stats.refilled(sandbox.lifecycle, performance.now() - began));
          if (this.closed) {
            this.discard(sandbox);
            return;
          }
          sandbox.onLost = () => {
            const at = this.idle.indexOf(sandbox);
            if (at !== -1) this.idle.splice(at, 1);
            this.stats.discarded++;
            this.discard(sandbox);
            this.fill();
          };
          this.offer(sandbox);
          if (this.idle.length >= this.poolOptions.size) this.onFilled?.(null);
          this.fill();
        },
        (error: unknown) => {
          this.starting--;
          this.stats.failed(error instanceof Error ? error.message : String(error));
          this.onFilled?.(this.stats.lastFailure);
          const delay = refillBackoffMs(this.stats.consecutiveFailures);
          this.backoffUntil = performance.now() + delay;
          clearTimeout(this.backoffTimer);
          this.backoffTimer = setTimeout(() => this.fill(), delay);
          this.backoffTimer.unref();
        },
      );
    }
  }

  /** The size changed: refill up to a larger one, or remove the idle sandboxes beyond a smaller one (the longest idle first). */
  private resized(): void {
    while (this.idle.length > this.sizing.size) this.discard(this.idle.shift() as PooledSandbox);
    this.fill();
  }

  private offer(sandbox: PooledSandbox): void {
    const waiter = this.waiters.shift();
    if (!waiter) {
      // A refill started before the pool shrank is not kept beyond the new size.
      if (this.idle.length >= this.sizing.size) this.discard(sandbox);
      else this.idle.push(sandbox);
      return;
    }
    clearTimeout(waiter.timer);
    this.inUse.add(sandbox);
    waiter.resolve(sandbox);
  }

  /** An idle sandbox now (oldest first), or the first to become ready; counts a miss when it waits. */
  private acquire(timeoutMs: number): Promise<PooledSandbox> {
    const sandbox = this.idle.shift();
    if (sandbox) {
      this.inUse.add(sandbox);
      return Promise.resolve(sandbox);
    }
    if (this.closed) return Promise.reject(new Error(`${this.name}: the pool is closed`));
    const waiting = waitForSandbox(this.waiters, timeoutMs, () => this.stats.lastFailure);
    this.fill();
    return waiting;
  }

  private discard(sandbox: PooledSandbox): void {
    this.inUse.delete(sandbox);
    const removal = sandbox.dispose().then((ms) => {
      this.stats.removed(ms);
      this.removals.delete(removal);
    });
    this.removals.add(removal);
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    if (!this.source) throw new BackendNotPreparedError(this.name);
    const phases: Record<string, number> = {};
    const start = performance.now();
    this.stats.runs++;
    const request = { argv: command, env: this.options.env, cwd: this.options.cwd, timeoutMs };
    this.sizing.arrived(this.idle.length === 0);
    let missed = false;
    let handOff: HandOff = { kind: 'refused', reason: 'no sandbox' };
    let used: PooledSandbox | undefined;
    for (let attempt = 0; attempt < MAX_REFUSALS && handOff.kind === 'refused'; attempt++) {
      if (this.idle.length === 0 && !missed) {
        missed = true;
        this.stats.misses++;
      }
      let sandbox: PooledSandbox;
      try {
        sandbox = await this.acquire(this.poolOptions.acquireTimeoutMs);
      } catch (error) {
        return failedResult(this.name, error instanceof Error ? error.message : String(error), { acquire: performance.now() - start });
      }
      phases.acquire = performance.now() - start;
      handOff = await sandbox.handOff(request, maxOutputBytes, onOutput);
      if (handOff.kind === 'refused') {
        this.stats.discarded++;
        this.discard(sandbox);
        this.fill();
      } else used = sandbox;
    }
    if (handOff.kind === 'refused') return failedResult(this.name, `every pooled sandbox tried was dead: ${handOff.reason}`, phases);
    const done = used as PooledSandbox; // set by every hand-off that ran
    // A run the signal's cleanup ended (close() removed its sandbox) is not reported as a run whose
    // agent died: `run` exited 127 on SIGINT (hostile trial 2026-12-07), not by the signal.
    await afterSignalCleanup();
    const result = poolRunResult(this.name, handOff, command, phases, { timeoutMs, memoryBytes: this.options.memoryBytes });
    // `overlay` with `keep`: copied back before the container goes (keepFromSandbox never rejects).
    const kept = await keepFromSandbox(done, result, this.options);
    // The removal and the refill's Engine requests are set up after the caller has its result
    // (they cost the run 1–4 ms of the runner's time when done here).
    this.deferred++;
    setImmediate(() => {
      this.deferred--;
      // close() may have removed it meanwhile.
      if (this.inUse.has(done)) this.discard(done);
      this.fill();
    });
    return kept;
  }

  /** Stops refilling, fails the runs waiting, and removes every container (idle and in use); idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.sizing.stop();
    clearTimeout(this.backoffTimer);
    failWaiters(this.waiters, `${this.name}: the pool closed while the run waited`);
    for (const sandbox of [...this.idle.splice(0), ...this.inUse]) this.discard(sandbox);
    // Sandboxes still starting are discarded as they become ready (see fill).
    const deadline = performance.now() + CLOSE_WAIT_MS;
    while ((this.starting > 0 || this.removals.size > 0) && performance.now() < deadline) {
      await Promise.race([...this.removals, new Promise((resolve) => setTimeout(resolve, 20))]);
    }
    this.unregister?.();
    this.unregister = undefined;
  }

  async teardown(): Promise<void> {
    await this.close();
    this.source = undefined;
  }
}

export function createPoolBackend(name: PoolBackendName, options?: SandboxPoolOptions): SandboxPool {
  return new SandboxPool(name, options);
}
