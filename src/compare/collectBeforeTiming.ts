/**
 * A full garbage collection of this process, untimed, before a comparison's first timed run (issue 27).
 *
 * A fresh runner's first major collection comes a few hundred ms after it starts (V8's first
 * old-generation limit, at about 9 MB here), which is where `compare` is in its first timed runs.
 * V8 does it beside the program: incremental marking steps on the main thread, marking and
 * sweeping on its worker threads, 10-20 ms of CPU in all. Traced with sched events (runs of
 * `compare --sandbox unshare --runs 12 -- node -e 0`, as the bench starts them), 3 of 4 such
 * runners spent a mean 0.9-1.6 ms of CPU (up to 20 ms) inside each timed window, beside a
 * multi-threaded command on 2 cores; hyperfine spends 0.03. Done here, it is paid before the
 * clock's first reading, and the next is hundreds of runs away (the runner's heap grows by a few
 * kB per run). The inspector's `HeapProfiler.collectGarbage` is Node's one public way to ask for
 * it without `--expose-gc`; it is V8's low-memory collection (two mark-compacts, tens of ms once).
 */
export async function collectBeforeTiming(): Promise<void> {
  // A Node built without the inspector refuses to load the module: the collection is V8's, as before.
  if (!process.features.inspector) return;
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve) => {
      // An error (another client holding the profiler, say) leaves the collection to V8, as before.
      session.post('HeapProfiler.collectGarbage', () => resolve());
    });
  } finally {
    session.disconnect();
  }
}
