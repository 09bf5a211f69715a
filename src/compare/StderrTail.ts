/** Bytes of a run's stderr kept for its failure message (the last line is what is shown). */
export const STDERR_TAIL_BYTES = 4096;

/**
 * The last `limit` bytes of a run's stderr, fed chunk by chunk (`RunOptions.onOutput`), so that
 * a comparison's memory does not grow with runs × output: stdout is not kept at all.
 */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = STDERR_TAIL_BYTES) {}

  readonly listener = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    if (stream !== 'stderr') return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0] as Buffer).length >= this.limit) this.size -= (this.chunks.shift() as Buffer).length;
  };

  /** The kept bytes as text (a character cut at the start shows as U+FFFD). */
  text(): string {
    const all = Buffer.concat(this.chunks, this.size);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}
