import { GUARD_IN_CONTAINER } from '../host/guard';

/**
 * The agent each pooled container runs as its only process (PID 1): `node -e AGENT_SCRIPT USER TOKEN
 * SOCKET LAUNCHER`. It runs as uid 0 of the container with only CAP_SETUID, CAP_SETGID and
 * CAP_KILL (agentSpec.ts), and starts every command as USER (`uid:gid`, never its own uid: it
 * refuses to start otherwise), so that the command cannot reach it: no /proc/1/fd, /proc/1/mem,
 * ptrace or signal of another uid (issue 23, finding 3). Its channel to the host
 * is the Unix socket SOCKET (bind-mounted from the host, read-only) when not empty, else its
 * attached stdin and stdout; SOCKET `fd:3` is that socket already connected by the socket guard in
 * front of the agent (host/guard.ts), under whose filter the agent itself can make no Unix socket. LAUNCHER, when not empty, is the C timer (native/launcher.c) bound
 * into the container: the command runs behind it, which reports on a third pipe the command's own
 * wall time, CPU time and peak memory (wait4), passed on raw in the exit report.
 *
 * Before it says it is ready the agent takes once the path a run takes: it spawns `node --version`
 * (behind the launcher when there is one) and reads the host's warm-up line (an empty line) through
 * the same reader as a request. A run then does not pay for V8's lazy compilation of that path:
 * the first spawn of a fresh Node process took twice as long as the next here (≈20 ms more).
 * Then it announces itself with TOKEN (so a connection from anything else is refused), waits for
 * one request line (JSON: argv, env, cwd, timeoutMs), acknowledges it, runs the command in its own
 * process group, streams its output back, reports how it ended with its own clock readings, and
 * exits, which ends every process left in the container. Frames on the channel are
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
const MAX_USAGE = 256;
const clock = () => process.hrtime.bigint().toString();
const user = /^(\d{1,10}):(\d{1,10})$/.exec(process.argv[1] || '');
const uid = user ? Number(user[1]) : -1;
const gid = user ? Number(user[2]) : -1;
// The command as the agent's own uid could reopen the report channel: refused (exit 6).
if (!user || uid === process.getuid() || uid === 0 || gid === 0) process.exit(6);
const token = process.argv[2] || '';
const socketPath = process.argv[3];
const launcher = process.argv[4];
let input = process.stdin;
let out = process.stdout;
if (socketPath === 'fd:3') {
  input = out = new (require('net').Socket)({ fd: 3, readable: true, writable: true });
  out.on('error', () => process.exit(5));
} else if (socketPath) {
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
let warmedLine = false;
let warmedSpawn = false;
function readyIfWarm() {
  if (warmedLine && warmedSpawn) send('R', JSON.stringify({ token, pid: process.pid, ready: clock() }));
}
let taken = false;
const parts = [];
let size = 0;
function onData(chunk) {
  const received = clock();
  if (!warmedLine) {
    if (chunk[0] !== 10) process.exit(4);
    warmedLine = true;
    readyIfWarm();
    if (chunk.length === 1) return;
    chunk = chunk.subarray(1);
  }
  const at = chunk.indexOf(10);
  if (at === -1) {
    parts.push(chunk);
    size += chunk.length;
    if (size > MAX_REQUEST) process.exit(3);
    return;
  }
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
  run(request, received, send, (report) => {
    send('X', JSON.stringify(report));
    out.write('', () => process.exit(0));
  });
}
function run(request, received, output, done) {
  let child;
  let finished = false;
  let timedOut = false;
  let exit = null;
  let usage = null;
  const finish = (code, signal, error) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    const exited = clock();
    // No child (spawn threw): kill(-0) would be the agent's own group, the agent itself.
    try {
      if (child.pid > 0) process.kill(-child.pid, 'SIGKILL');
    } catch (ignored) {}
    done({ received, exited, code, signal, timedOut, error, usage });
  };
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (ignored) {}
  }, request.timeoutMs);
  try {
    // The agent already stands in the working directory (the container's): the child inherits it
    // rather than chdir as root without CAP_DAC_READ_SEARCH, before it becomes the user (libuv's order).
    const options = { env: request.env, detached: true, uid, gid };
    if (request.cwd !== process.cwd()) options.cwd = request.cwd;
    child = launcher
      ? spawn(launcher, ['3', ...request.argv], { ...options, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
      : spawn(request.argv[0], request.argv.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    child = { pid: 0 };
    finish(null, null, error.message);
    return;
  }
  child.stdout.on('data', (chunk) => output('O', chunk));
  child.stderr.on('data', (chunk) => output('E', chunk));
  if (launcher) {
    child.stdio[3].on('data', (chunk) => {
      const text = (usage || '') + chunk.toString('latin1');
      usage = text.length > MAX_USAGE ? text.slice(0, MAX_USAGE) : text;
    });
  }
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
const warmUp = { argv: [process.execPath, '--version'], env: {}, cwd: process.cwd(), timeoutMs: 10000 };
run(warmUp, clock(), () => undefined, () => {
  warmedSpawn = true;
  readyIfWarm();
});
`;

/**
 * A container's Cmd for one agent: `cmd` (agentProgram's command and USER, behind the socket guard when containerSpec
 * put it in front), then TOKEN SOCKET LAUNCHER. Behind the guard, the guard connects SOCKET
 * (`--connect`) before its filter is in place and the agent takes the stream as descriptor 3: under
 * the filter it could not make the socket itself.
 */
export function agentCommand(cmd: readonly string[], token: string, socket: string, launcher: string | null): string[] {
  const [head, ...agent] = cmd;
  if (head === GUARD_IN_CONTAINER && socket !== '') return [head, '--connect', socket, ...agent, token, 'fd:3', launcher ?? ''];
  return [...cmd, token, socket, launcher ?? ''];
}
