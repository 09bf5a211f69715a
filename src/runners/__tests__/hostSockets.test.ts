import { spawnSync } from 'node:child_process';
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
// The attacker, a small static C program in the working directory (fixtures/socketProbe.c): the
// system calls of Node's net.connect, without Node's start-up in every sandbox.
const PROBE = path.join(cwd, 'socket-probe');
const compiler = toolMissing('cc');
if (!compiler) {
  const cc = spawnSync('cc', ['-static', '-O2', '-o', PROBE, path.join(__dirname, 'fixtures', 'socketProbe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc could not build the socket probe: ${cc.stderr}`);
}

const servers: net.Server[] = [];

/** Listens at `address`; resolves to a reader of how many connections it has accepted. */
function serve(address: string): Promise<() => number> {
  return new Promise((resolve, reject) => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.end('HELLO-FROM-THE-HOST\n');
    });
    servers.push(server);
    server.once('error', reject);
    server.listen(address, () => {
      if (!address.startsWith('\0')) fs.chmodSync(address, 0o666);
      resolve(() => connections);
    });
  });
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  fs.rmSync(cwd, { recursive: true, force: true });
});

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
  const served = [await serve(inCwd), await serve(inSub)];
  let lateServed: Promise<() => number> | undefined;
  const { result } = await runInSandbox(name, [PROBE, late, inCwd, inSub], {
    monitor,
    cwd,
    timeoutMs: 60_000,
    onOutput: (stream, chunk) => {
      if (stream === 'stdout' && chunk.toString().includes('started')) lateServed ??= serve(late);
    },
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  expect({ outcome: result.outcome, line }).toMatchObject({ outcome: 'success', line: expect.stringMatching(/^\{/) as unknown });
  expect(lateServed).toBeDefined();
  served.push(await (lateServed as Promise<() => number>));
  return { results: JSON.parse(line) as Record<string, string>, connections: served.reduce((sum, count) => sum + count(), 0) };
}

// The cases run side by side (test.concurrent, jest's five at a time): each has its own sockets and
// counts the connections to them alone, and the gVisor runs spend 5 s waiting for a late socket
// that never appears in their view of the working directory.
for (const { name, missing, install, optional, refusal } of CASES) {
  describeWhen(
    `host Docker API from ${name}`,
    compiler || missing,
    compiler ? 'apt-get install gcc' : install,
    () => {
      test.concurrent(
        `a socket in the working directory is unreachable: 0666, in a subdirectory, created after the run started (${refusal.what})`,
        async () => {
          const { results, connections: reached } = await probe(name);
          expect(Object.keys(results)).toHaveLength(3);
          for (const outcome of Object.values(results)) expect(outcome).toMatch(refusal.code);
          expect(reached).toBe(0);
        },
        120_000,
      );

      // Pools without a network: gVisor's runtime is registered with --network=none, runc-pool has loopback only.
      if (name !== 'gvisor-pool' && name !== 'runc-pool') {
        test.concurrent(
          "with `network: true`, the host's abstract Unix sockets are unreachable too",
          async () => {
            const address = `\0sandbox-perf-abstract-${process.pid}-${++sequence}`;
            const connections = await serve(address);
            // `@name`: the probe's notation for the abstract name, given as Node gives it to connect().
            const { result } = await runInSandbox(name, [PROBE, `@${address.slice(1)}`], {
              monitor,
              cwd,
              network: true,
              timeoutMs: 60_000,
            });
            // Own network namespace (Docker's bridge, gVisor's own Unix sockets): nothing listens there.
            expect(result.stdout.trim()).toMatch(refusal === GUARDED ? /^EACCES$/ : /^ECONNREFUSED$/);
            expect(connections()).toBe(0);
          },
          120_000,
        );
      }
    },
    { optional },
  );
}

describeWhen('none isolates nothing', compiler || toolMissing('setpriv'), 'apt-get install util-linux gcc', () => {
  test.concurrent(
    'its command reaches a socket in the working directory (the guarantee table says so)',
    async () => {
      const { results, connections: reached } = await probe('none');
      for (const outcome of Object.values(results)) expect(outcome).toBe('connected: HELLO-FROM-THE-HOST');
      expect(reached).toBe(3);
    },
    60_000,
  );

  test.concurrent(
    "its command reaches the host's abstract Unix sockets (the control of the probe's abstract address)",
    async () => {
      const address = `\0sandbox-perf-abstract-${process.pid}-${++sequence}`;
      const connections = await serve(address);
      const { result } = await runInSandbox('none', [PROBE, `@${address.slice(1)}`], { monitor, cwd, timeoutMs: 60_000 });
      expect(result.stdout.trim()).toBe('connected: HELLO-FROM-THE-HOST');
      expect(connections()).toBe(1);
    },
    60_000,
  );
});
