import type { Exchange } from './engineClient';

/** When each request of a docker run went out and came back; null for a step the run did not reach or need. */
export interface DockerRunTimes {
  /** run() began (performance.now()). */
  began: number;
  create: Exchange | null;
  attach: Exchange | null;
  /** Registered (headers) before the start; answered when the container exited, or was removed (AutoRemove). */
  wait: Exchange | null;
  start: Exchange | null;
  /** Read after an exit of 137 under a memory limit: was it the OOM killer? */
  inspect: Exchange | null;
  /** Our removal; null when the engine removed the container itself. */
  remove: Exchange | null;
}

function span(e: Exchange | null): number {
  return e !== null && e.answered >= e.sent ? e.answered - e.sent : 0;
}

/**
 * The phases of a docker run's timed window, tiling `began` → `ended` (the container gone, its
 * output in). Each Engine API step is the engine's share of it: from the request's last byte out
 * to the answer's last byte in (`attach` covers the attach and the wait's registration, sent
 * together). From the start's request out to the wait's answer in is `start` + `wait`, or the
 * launcher's `spawn`, `command`, `exit` (`split`). `client` is the rest: this process's own share
 * (building and parsing JSON, attaching the streams, awaiting between steps), what issue 27 asks to
 * see apart from the engine's. Reading and removing our accounting group comes after `ended`: the
 * run's untimed teardown, in no phase.
 */
export function dockerPhases(t: DockerRunTimes, ended: number, split: Readonly<Record<string, number>> | null): Record<string, number> {
  const phases: Record<string, number> = {};
  if (t.create) phases.create = span(t.create);
  if (t.attach && t.wait) phases.attach = Math.max(0, Math.max(t.attach.answered, t.wait.headers) - Math.min(t.attach.sent, t.wait.sent));
  if (t.start && split) Object.assign(phases, split);
  else if (t.start) {
    phases.start = span(t.start);
    if (t.wait && t.wait.answered >= t.start.answered) phases.wait = t.wait.answered - t.start.answered;
  }
  if (t.inspect) phases.inspect = span(t.inspect);
  if (t.remove) phases.remove = span(t.remove);
  let engine = 0;
  for (const ms of Object.values(phases)) engine += ms;
  phases.client = Math.max(0, ended - t.began - engine);
  return phases;
}
