/**
 * Logging for failures that must not reach the caller: one line per kind of failure
 * (error code or name) and message prefix, so a persistent fault does not flood stderr.
 */
const seen = new Set<string>();
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  return 'UNKNOWN';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Logs `prefix (CODE: message)` the first time this prefix and code are seen; returns whether it logged. */
export function logOnce(error: unknown, prefix: string): boolean {
  const key = `${prefix}\u0000${errorCode(error)}`;
  if (seen.has(key)) return false;
  seen.add(key);
  sink(`${prefix} (${errorCode(error)}: ${errorMessage(error)})`);
  return true;
}

export function log(line: string): void {
  sink(line);
}

/** Redirects the library's diagnostics (tests; embedders with their own logger). */
export function setLogSink(next: (line: string) => void): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

export function resetLogOnce(): void {
  seen.clear();
}
