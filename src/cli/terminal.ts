import type { CommandIo } from './command';

/** Colours only on a TTY, and never with NO_COLOR (https://no-color.org); `force` decides instead (compare's --style). */
export function colours(stream: CommandIo['stdout'], env: NodeJS.ProcessEnv, force?: boolean) {
  const on = force ?? (Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === ''));
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), yellow: wrap('33'), red: wrap('31'), cyan: wrap('36'), enabled: on };
}

export type Colours = ReturnType<typeof colours>;

/** `42 s`, `3 min 05 s`: an ETA needs no more. */
export function formatEta(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/**
 * A one-line progress bar on stderr, drawn only on a TTY, with an ETA from the mean time per
 * tick so far (hyperfine shows one); `force` draws it or not whatever stderr is. `total` may grow (adaptive runs: the bar then counts against
 * the current limit) and `note` adds a status such as the precision reached.
 */
export function progressBar(io: CommandIo, total: number, force?: boolean) {
  const tty = force ?? Boolean(io.stderr.isTTY);
  const started = performance.now();
  let done = 0;
  return {
    tick(label: string, note = ''): void {
      done++;
      if (!tty) return;
      const width = 30;
      const filled = Math.min(width, Math.round((done / total) * width));
      const eta = done < total ? ` ETA ${formatEta(((performance.now() - started) / done) * (total - done))}` : '';
      io.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${eta} ${label.padEnd(12)}${note}\u001b[K`);
    },
    end(): void {
      if (tty) io.stderr.write(`\r\u001b[K`);
    },
  };
}

/** How a text shows a time given in milliseconds. */
export type TimeFormat = (ms: number) => string;

/** `123.4 ms`, `1.234 s`: three significant figures is what the noise allows. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(3)} s`;
  if (Math.abs(ms) >= 100) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Horizontal bars, one per bucket, scaled to the largest count. */
export function histogramLines(buckets: readonly { label: string; count: number }[], width = 40): string[] {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const labelWidth = Math.max(...buckets.map((b) => b.label.length), 1);
  return buckets.map((b) => `${b.label.padStart(labelWidth)} | ${'█'.repeat(Math.round((b.count / max) * width))} ${b.count}`);
}
