import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { CONTAINER_LABEL, OWNER_PID_LABEL, OWNER_START_LABEL } from './containerOwner';
import { currentOwner } from '../owner';

/**
 * A SIGKILLed runner cannot clean up, and the engine keeps its containers running. The guardian
 * is a small detached process (one per runner process and engine socket, started by the first
 * Docker `prepare()`) that holds the read end of a pipe from the runner: the kernel closes the
 * pipe when the runner dies, however it dies, and the guardian then removes every container
 * labelled with the runner's PID and start time, and exits. A runner that exits normally has
 * nothing left, so the guardian finds nothing and exits too. It talks to the engine's HTTP API over
 * the socket with node:http alone (no dockerode: ~30 MB and ~40 ms to start instead of more), in its
 * own session, so a Ctrl-C of the runner's terminal does not reach it.
 */
const GUARDIAN = `
const http = require('node:http');
const [socket, labels] = process.argv.slice(1);
const call = (method, path) => new Promise((resolve) => {
  const req = http.request({ socketPath: socket, method, path, timeout: 10000 }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d)).on('end', () => resolve(body));
  });
  req.on('error', () => resolve('')).on('timeout', () => req.destroy());
  req.end();
});
process.stdin.resume();
process.stdin.on('end', async () => {
  const filters = encodeURIComponent(JSON.stringify({ label: JSON.parse(labels) }));
  let containers = [];
  try { containers = JSON.parse(await call('GET', '/containers/json?all=1&filters=' + filters)); } catch {}
  await Promise.all(containers.map((c) => call('DELETE', '/containers/' + c.Id + '?force=1&v=1')));
  process.exit(0);
});`;

/** The marker on the guardian's command line (tests find it with ps). */
export const GUARDIAN_TITLE = 'sandbox-perf-guardian';

const started = new Set<string>();

/** Starts the guardian of this process for the engine at `socket`, once. Never throws. */
export function ensureGuardian(socket: string): void {
  if (started.has(socket)) return;
  started.add(socket);
  const owner = currentOwner();
  const labels = [CONTAINER_LABEL, `${OWNER_PID_LABEL}=${owner.pid}`, ...(owner.start ? [`${OWNER_START_LABEL}=${owner.start}`] : [])];
  try {
    const child = spawn(process.execPath, ['-e', GUARDIAN, socket, JSON.stringify(labels), `${GUARDIAN_TITLE} of ${owner.pid}`], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {},
    });
    child.on('error', () => undefined);
    // Neither the child nor the pipe keeps this process alive; the pipe closes when it exits.
    child.unref();
    (child.stdin as unknown as Socket).unref();
  } catch {
    // Without a guardian, the next start or `sandbox-perf gc` removes what a SIGKILL leaves.
  }
}
