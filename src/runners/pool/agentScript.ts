/**
 * The agent each pooled container runs as its only process (PID 1, so signals sent from inside the
 * container cannot kill it): `node -e AGENT_SCRIPT TOKEN [SOCKET]`. Its channel to the host is the
 * Unix socket SOCKET (bind-mounted from the host, read-only) when given, else its attached stdin and
 * stdout. It announces itself with TOKEN (so a connection from anything else is refused), waits
 * for one request line (JSON: argv, env, cwd, timeoutMs), acknowledges it, runs the command
 * in its own process group, streams its output back, reports how it ended with its own clock
 * readings, and exits, which ends every process left in the container. Frames on stdout are
 * `type (1 byte) | length (uint32 BE) | payload`; see agentProtocol.ts for the host side.
 *
 * Clock readings are CLOCK_MONOTONIC nanoseconds (`process.hrtime.bigint()`): under runc the
 * container shares the host's kernel clock, so the host can split the hand-off from the command
 * exactly; under gVisor the clock is the sandbox's own, and the host falls back to durations.
 *
 * Plain JavaScript that the image's node runs unchanged (Node >= 20): no dependencies, no files.
 */
export const AGENT_SCRIPT = String.raw`'use strict';
const { spawn } = require('child_process');
const MAX_REQUEST = 4 * 1024 * 1024;
const clock = () => process.hrtime.bigint().toString();
const token = process.argv[1] || '';
const socketPath = process.argv[2];
let input = process.stdin;
let out = process.stdout;
if (socketPath) {
  input = out = require('net').connect(socketPath);
  out.on('error', () => process.exit(5));
}
function send(type, payload) {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.allocUnsafe(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length, 1);
  out.write(Buffer.concat([head, body]));
}
function finishAgent() {
  out.write('', () => process.exit(0));
}
let taken = false;
const parts = [];
let size = 0;
function onData(chunk) {
  const at = chunk.indexOf(10);
  if (at === -1) {
    parts.push(chunk);
    size += chunk.length;
    if (size > MAX_REQUEST) process.exit(3);
    return;
  }
  const received = clock();
  taken = true;
  input.off('data', onData);
  input.pause();
  parts.push(chunk.subarray(0, at));
  let request;
  try {
    request = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    process.exit(4);
  }
  send('A', received);
  run(request, received);
}
function run(request, received) {
  let child;
  let done = false;
  let timedOut = false;
  let exit = null;
  const finish = (code, signal, error) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const exited = clock();
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (ignored) {}
    send('X', JSON.stringify({ received, exited, code, signal, timedOut, error }));
    finishAgent();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (ignored) {}
  }, request.timeoutMs);
  try {
    child = spawn(request.argv[0], request.argv.slice(1), {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    child = { pid: 0 };
    finish(null, null, error.message);
    return;
  }
  child.stdout.on('data', (chunk) => send('O', chunk));
  child.stderr.on('data', (chunk) => send('E', chunk));
  child.once('error', (error) => finish(null, null, error.message));
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    // Output still in the pipes arrives before 'close'; a background process holding them open
    // does not hold the report back for longer than this.
    setTimeout(() => finish(code, signal, null), 100);
  });
  child.once('close', () => {
    if (exit) finish(exit.code, exit.signal, null);
  });
}
input.on('data', onData);
input.on('end', () => {
  if (!taken) process.exit(0);
});
send('R', JSON.stringify({ token, pid: process.pid, ready: clock() }));
`;

/** The container's command: the image's node running the agent. */
export const AGENT_COMMAND: readonly string[] = ['node', '-e', AGENT_SCRIPT];
