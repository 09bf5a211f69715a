import { logOnce } from '../log';

/** Receives each chunk of a run's output as it arrives (`RunOptions.onOutput`). */
export type OutputListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

/**
 * Keeps the first `limit` bytes of a stream, so a chatty command cannot exhaust the runner's
 * memory; every chunk, kept or not, is first handed to the listener (streaming callers).
 */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private last = '';
  truncated = false;
  /** Also keep the last this many bytes, truncated or not (where the launcher's report line is). */
  tailBytes = 0;

  constructor(
    private readonly limit: number,
    private readonly listener?: OutputListener,
    private readonly stream: 'stdout' | 'stderr' = 'stdout',
  ) {}

  push(chunk: Buffer): void {
    if (this.tailBytes > 0) this.last = (this.last + chunk.subarray(-this.tailBytes).toString('latin1')).slice(-this.tailBytes);
    if (this.listener) {
      try {
        this.listener(this.stream, chunk);
      } catch (error) {
        // The caller's listener failing must not end the run nor lose what is kept.
        logOnce(error, 'sandbox-perf: an onOutput listener threw; its output is still kept up to maxOutputBytes');
      }
    }
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.truncated = true;
      if (room <= 0) return;
      chunk = chunk.subarray(0, room);
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The last `tailBytes` bytes seen (latin1). */
  tail(): string {
    return this.last;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}

/** The stdout and stderr keepers of one run. */
export function boundedOutputs(limit: number, listener?: OutputListener): { stdout: BoundedOutput; stderr: BoundedOutput } {
  return { stdout: new BoundedOutput(limit, listener, 'stdout'), stderr: new BoundedOutput(limit, listener, 'stderr') };
}
