/**
 * Makes this process's standard output and error block on a pipe, as a program in a pipeline
 * does, for `run`, which passes a command's output through: Node writes to a pipe asynchronously,
 * queueing what the reader has not taken yet. Behind a slow reader the queue held a whole
 * command's output (400 MB: 655 MB resident), and the exit, which waits at most a grace period,
 * cut it short (65 536 of 400 000 000 bytes reached `| (sleep 4; wc -c)`; hostile trial
 * 2026-12-07). Blocking, a slow reader slows the copy and, through the command's own pipe, the
 * command, as it would without sandbox-perf. Files and terminals are left as Node sets them.
 */
export function blockOnPipes(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    const handle = (stream as { _handle?: { constructor?: { name?: string }; setBlocking?: (blocking: boolean) => number } })._handle;
    if (handle?.constructor?.name === 'Pipe' && typeof handle.setBlocking === 'function') handle.setBlocking(true);
  }
}
