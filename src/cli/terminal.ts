import type { CommandIo } from './command';

/** Colours only on a TTY, and never with NO_COLOR (https://no-color.org). */
export function colours(stream: CommandIo['stdout'], env: NodeJS.ProcessEnv) {
  const on = Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), yellow: wrap('33'), red: wrap('31'), cyan: wrap('36'), enabled: on };
}

export type Colours = ReturnType<typeof colours>;

/** A one-line progress bar on stderr, drawn only on a TTY. */
export function progressBar(io: CommandIo, total: number) {
  const tty = Boolean(io.stderr.isTTY);
  let done = 0;
  return {
    tick(label: string): void {
      done++;
      if (!tty) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      io.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} ${label.padEnd(14)}`);
    },
    end(): void {
      if (tty) io.stderr.write(`\r${' '.repeat(60)}\r`);
    },
  };
}

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
