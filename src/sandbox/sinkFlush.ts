import type { RecordSink } from './types';

/**
 * Waits for the records a monitor handed to its sink to be written, where the sink has a flush()
 * (StateDatabase, its class as the default sink included), else resolves at once: true when they
 * all were, false when `timeoutMs` (default 30 000) passed first or the flush failed; never
 * rejects. `compare` waits for it between runs, untimed: the history's writer thread would
 * otherwise write the last run's rows beside the next run's timed window, on a 2-core machine
 * taking CPU from a multi-threaded command (issue 27: `node -e 0` under unshare read about 1 ms
 * over hyperfine's run of the same line).
 */
export async function flushSink(sink: RecordSink | false, options: { timeoutMs?: number }): Promise<boolean> {
  const flushing = sink as { flush?: (o: { timeoutMs?: number }) => unknown } | false;
  if (flushing === false || typeof flushing.flush !== 'function') return true;
  try {
    const report = (await flushing.flush(options)) as { complete?: unknown } | null | undefined;
    return report?.complete !== false;
  } catch {
    return false;
  }
}
