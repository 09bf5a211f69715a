import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import {
  dockerMissing,
  gvisorMissing,
  INSTALL_DOCKER,
  INSTALL_RUNC,
  runcMissing,
  runscRuntimeMissing,
  toolMissing,
} from '../../../test/support/runners';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { runInSandbox } from '../runInSandbox';
import type { BackendName } from '../types';

// Issue 23, finding 1: `cd /run && sandbox-perf run --sandbox bubblewrap -- node -e '<GET
// /containers/json on /run/docker.sock>'` answered 200 OK. Any socket in what a sandbox binds
// (the working directory, a subdirectory, one created there while the run is under way), whatever
// its permissions, was a door to the host. Each socket here is a real listener of this process,
// root's and mode 0666, so that no uid mapping could refuse it: only the sandbox can.

const monitor = new SandboxPerfMonitor({ sink: false });
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-sockets-'));
// Containers and gVisor run the command as nobody when the directory is root's: let them in.
fs.chmodSync(cwd, 0o777);
fs.mkdirSync(path.join(cwd, 'sub'), { mode: 0o777 });
fs.chmodSync(path.join(cwd, 'sub'), 0o777);

const servers: net.Server[] = [];
let connections = 0;

function serve(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      connections++;
      socket.end('HELLO-FROM-THE-HOST\n');
    });
    servers.push(server);
    server.once('error', reject);
    server.listen(address, () => {
      if (!address.startsWith('\0')) fs.chmodSync(address, 0o666);
      resolve();
    });
  });
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  fs.rmSync(cwd, { recursive: true, force: true });
});

/**
 * Connects to each path in turn, prints `started`, waits up to 5 s for the late socket (the test
 * creates it on that line) and connects to it; prints one JSON object: address → what happened.
 */
const PROBE = String.raw`
const net = require('net'), fs = require('fs');
const [late, ...addresses] = process.argv.slice(1);
const attempt = (address) => new Promise((resolve) => {
  const c = net.connect(address);
  c.on('data', (d) => { resolve('connected: ' + d.toString().trim()); c.destroy(); });
  c.on('error', (e) => resolve(e.code));
});
(async () => {
  const out = {};
  for (const address of addresses) out[address] = await attempt(address);
  console.log('started');
  for (let i = 0; i < 100 && !fs.existsSync(late); i++) await new Promise((r) => setTimeout(r, 50));
  out[late] = fs.existsSync(late) ? await attempt(late) : 'never appeared';
  console.log(JSON.stringify(out));
})();`;

const GUARDED = { what: 'the socket guard refuses to make a Unix socket', code: /^EACCES$/ };
const GVISOR = { what: "gVisor's sentry refuses host sockets", code: /^(EPERM|ECONNREFUSED|ENOENT|never appeared)$/ };

const CASES: { name: BackendName; missing: string | false; install: string; optional?: boolean; refusal: typeof GUARDED }[] = [
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux', refusal: GUARDED },
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap', refusal: GUARDED },
  { name: 'docker', missing: dockerMissing(), install: INSTALL_DOCKER, refusal: GUARDED },
  { name: 'docker-warm', missing: dockerMissing(), install: INSTALL_DOCKER, refusal: GUARDED },
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER, refusal: GUARDED },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true, refusal: GVISOR },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_DOCKER, optional: true, refusal: GVISOR },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC, refusal: GUARDED },
];

let sequence = 0;

/** Runs the probe against a fresh socket in the working directory, one in `sub/` and one made once the run is under way. */
async function probe(name: BackendName): Promise<{ results: Record<string, string>; connections: number }> {
  const n = ++sequence;
  const inCwd = path.join(cwd, `engine-${n}.sock`);
  const inSub = path.join(cwd, 'sub', `db-${n}.sock`);
  const late = path.join(cwd, `late-${n}.sock`);
  await serve(inCwd);
  await serve(inSub);
  const before = connections;
  let lateServed: Promise<void> | undefined;
  const { result } = await runInSandbox(name, ['node', '-e', PROBE, late, inCwd, inSub], {
    monitor,
    cwd,
    timeoutMs: 60_000,
    onOutput: (stream, chunk) => {
      if (stream === 'stdout' && chunk.toString().includes('started')) lateServed ??= serve(late);
    },
  });
  await lateServed;
  const line = result.stdout.trim().split('\n').pop() ?? '';
  expect({ outcome: result.outcome, line }).toMatchObject({ outcome: 'success', line: expect.stringMatching(/^\{/) as unknown });
  expect(lateServed).toBeDefined();
  return { results: JSON.parse(line) as Record<string, string>, connections: connections - before };
}

for (const { name, missing, install, optional, refusal } of CASES) {
  describeWhen(
    `host Docker API from ${name}`,
    missing,
    install,
    () => {
      test(`a socket in the working directory is unreachable: 0666, in a subdirectory, created after the run started (${refusal.what})`, async () => {
        const { results, connections: reached } = await probe(name);
        expect(Object.keys(results)).toHaveLength(3);
        for (const outcome of Object.values(results)) expect(outcome).toMatch(refusal.code);
        expect(reached).toBe(0);
      }, 120_000);

      // Pools without a network: gVisor's runtime is registered with --network=none, runc-pool has loopback only.
      if (name !== 'gvisor-pool' && name !== 'runc-pool') {
        test("with `network: true`, the host's abstract Unix sockets are unreachable too", async () => {
          const address = `\0sandbox-perf-abstract-${process.pid}-${++sequence}`;
          await serve(address);
          const before = connections;
          const script = `require('net').connect(${JSON.stringify(address)}).on('data', () => console.log('connected')).on('error', (e) => console.log(e.code))`;
          const { result } = await runInSandbox(name, ['node', '-e', script], { monitor, cwd, network: true, timeoutMs: 60_000 });
          // Own network namespace (Docker's bridge, gVisor's own Unix sockets): nothing listens there.
          expect(result.stdout.trim()).toMatch(refusal === GUARDED ? /^EACCES$/ : /^ECONNREFUSED$/);
          expect(connections - before).toBe(0);
        }, 120_000);
      }
    },
    { optional },
  );
}

describeWhen('none isolates nothing', toolMissing('setpriv'), 'apt-get install util-linux', () => {
  test('its command reaches a socket in the working directory (the guarantee table says so)', async () => {
    const { results, connections: reached } = await probe('none');
    for (const outcome of Object.values(results)) expect(outcome).toBe('connected: HELLO-FROM-THE-HOST');
    expect(reached).toBe(3);
  }, 60_000);
});
