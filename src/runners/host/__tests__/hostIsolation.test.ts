import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { createBackend } from '../../createBackend';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { runInSandbox } from '../../runInSandbox';
import { defaultDockerSocket } from '../../options';
import { dockerMissing, gvisorMissing, INSTALL_DOCKER, toolMissing } from '../../../../test/support/runners';
import type { BackendName, SandboxBackend, SandboxOptions } from '../../types';

/*
 * The guarantee table of docs/runners.md, cell by cell: each isolating host backend runs a hostile
 * script (PROBE) that tries what issue 12 found possible: the Docker socket and other host Unix
 * sockets, host secrets, uid 0 and capabilities, writes outside the working directory (the
 * history database among them), the network. `none` gets the same probe to show it isolates
 * nothing (its row says so).
 */

const monitor = new SandboxPerfMonitor({ sink: false });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-hostile-'));
const cwd = path.join(scratch, 'work');
fs.mkdirSync(cwd);
// A history database outside the working directory, as the default one now is.
const historyDb = path.join(scratch, 'history', 'state.db');
fs.mkdirSync(path.dirname(historyDb));
fs.writeFileSync(historyDb, 'history');
// A host Unix socket that always exists, in /run (never bound into a sandbox) and beside the cwd.
const runSocket = `/run/sandbox-perf-hostile-${process.pid}.sock`;
const tmpSocket = path.join(scratch, 'host.sock');
// Another user's private file, inside the working directory itself.
const otherUsers = path.join(cwd, 'other-user-secret');
fs.writeFileSync(otherUsers, 'secret', { mode: 0o600 });
fs.chownSync(otherUsers, 1000, 1000);
const servers: net.Server[] = [];

/** Files on the host that the probe tries to create; `none` does create them. */
function removeHostileFiles(): void {
  for (const file of ['/etc/sandbox-perf-hostile', '/usr/sandbox-perf-hostile']) fs.rmSync(file, { force: true });
}

beforeAll(async () => {
  removeHostileFiles();
  for (const file of [runSocket, tmpSocket]) {
    fs.rmSync(file, { force: true });
    const server = net.createServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nhost answered'));
    await new Promise<void>((resolve) => server.listen(file, resolve));
    servers.push(server);
  }
});
afterAll(() => {
  removeHostileFiles();
  for (const server of servers) server.close().unref();
  fs.rmSync(runSocket, { force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

const SOCKETS = [...new Set(['/var/run/docker.sock', '/run/docker.sock', defaultDockerSocket(), runSocket, tmpSocket])];
const OUTSIDE = ['/etc/sandbox-perf-hostile', '/usr/sandbox-perf-hostile', path.join(scratch, 'escaped'), historyDb];
/** Outside the working directory but under /tmp: the sandbox's private tmpfs may take the write, the host must not see it. */
const PRIVATE_TMP = path.join(scratch, 'escaped');

/** Runs in the sandbox; prints one JSON object of what it could do. */
const PROBE = `
const fs = require('fs'), net = require('net');
const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.code || e.message; } };
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (name) => (new RegExp('^' + name + ':\\\\s*(\\\\S+)', 'm').exec(status) || [])[1];
const connect = (file) => new Promise((resolve) => {
  const s = net.connect(file);
  s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
  s.on('connect', () => { s.write('GET /version HTTP/1.0\\r\\n\\r\\n'); });
  s.on('data', () => { s.destroy(); resolve('answered'); });
  s.on('error', (e) => resolve(e.code));
});
const tcp = () => new Promise((resolve) => {
  const s = net.connect(53, '1.1.1.1');
  s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
  s.on('connect', () => { s.destroy(); resolve('connected'); });
  s.on('error', (e) => resolve(e.code));
});
(async () => {
  const sockets = {};
  for (const file of ${JSON.stringify(SOCKETS)}) sockets[file] = await connect(file);
  const writes = {};
  for (const file of ${JSON.stringify(OUTSIDE)}) writes[file] = attempt(() => fs.appendFileSync(file, 'x'));
  console.log(JSON.stringify({
    uid: process.getuid(), gid: process.getgid(),
    capEff: field('CapEff'), capBnd: field('CapBnd'),
    shadow: attempt(() => fs.readFileSync('/etc/shadow')),
    root: attempt(() => fs.readdirSync('/root')),
    otherUsers: attempt(() => fs.readFileSync(${JSON.stringify(otherUsers)})),
    sockets, writes,
    inside: attempt(() => fs.writeFileSync('inside.txt', 'x')),
    network: await tcp(),
    noNewPrivs: (/no_new_privs: (\\d)/.exec(require('child_process').execFileSync('setpriv', ['--dump'], { encoding: 'utf8' })) || [])[1],
    user: require('os').userInfo().username,
  }));
})();
`;

interface Probe {
  uid: number;
  gid: number;
  capEff: string;
  capBnd: string;
  noNewPrivs: string;
  shadow: string;
  root: string;
  otherUsers: string;
  sockets: Record<string, string>;
  writes: Record<string, string>;
  inside: string;
  network: string;
  user: string;
}

const ISOLATING: {
  name: BackendName;
  missing: string | false;
  install: string;
  optional?: boolean;
  options?: SandboxOptions;
  title?: string;
}[] = [
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux' },
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap' },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true },
  // Over the image's root (the fair comparison with gvisor-pool): every row holds as over the host's.
  {
    name: 'gvisor',
    missing: gvisorMissing() || dockerMissing(),
    install: `apt-get install runsc; ${INSTALL_DOCKER}`,
    optional: true,
    options: { gvisorRoot: 'image' },
    title: 'gvisor over the image root (gvisorRoot image)',
  },
];

for (const { name, missing, install, optional, options, title } of ISOLATING) {
  describeWhen(
    `${title ?? name} holds against hostile code`,
    missing,
    install,
    () => {
      let backend: SandboxBackend;
      let probe: Probe;
      beforeAll(async () => {
        backend = createBackend(name, { cwd, ...options });
        await backend.prepare();
        const { result } = await runInSandbox(backend, ['node', '-e', PROBE], { monitor, timeoutMs: 60_000 });
        if (result.outcome !== 'success') throw new Error(`the probe failed: ${result.error}: ${result.stderr}`);
        probe = JSON.parse(result.stdout) as Probe;
      }, 90_000);
      afterAll(() => backend.teardown());

      test(`host takeover from ${name}: docker socket unreachable`, () => {
        for (const file of ['/var/run/docker.sock', '/run/docker.sock'])
          expect([file, probe.sockets[file]]).not.toEqual([file, 'answered']);
      });

      test('no host Unix socket answers (one in /run, one beside the working directory)', () => {
        for (const [file, outcome] of Object.entries(probe.sockets)) expect([file, outcome]).not.toEqual([file, 'answered']);
      });

      test(`root inside, host secrets readable, from ${name}: uid 65534, /etc/shadow, /root and other users' files unreadable`, () => {
        expect(probe).toMatchObject({ uid: 65534, gid: 65534, user: 'nobody' });
        expect(probe.shadow).not.toBe('ok');
        expect(probe.root).not.toBe('ok');
        expect(probe.otherUsers).toBe('EACCES');
      });

      test('no capabilities (CapEff and the bounding set empty) and no_new_privs', () => {
        expect(probe).toMatchObject({ capEff: '0000000000000000', noNewPrivs: '1' });
        if (name !== 'unshare') expect(probe.capBnd).toBe('0000000000000000');
      });

      test(`history inside the sandbox's reach, from ${name}: a database outside the working directory cannot be written`, () => {
        expect(probe.writes[historyDb]).not.toBe('ok');
        expect(fs.readFileSync(historyDb, 'utf8')).toBe('history');
      });

      test('writes outside the working directory fail and reach nothing on the host', () => {
        for (const file of OUTSIDE.filter((f) => f !== PRIVATE_TMP)) expect([file, probe.writes[file]]).not.toEqual([file, 'ok']);
        expect(fs.existsSync('/etc/sandbox-perf-hostile')).toBe(false);
        expect(fs.existsSync('/usr/sandbox-perf-hostile')).toBe(false);
        expect(fs.existsSync(path.join(scratch, 'escaped'))).toBe(false);
      });

      test('the working directory is writable (gVisor: into its overlay, discarded)', () => {
        expect(probe.inside).toBe(name === 'gvisor' ? 'EACCES' : 'ok');
      });

      test('the network is unreachable', () => {
        expect(['ENETUNREACH', 'EHOSTUNREACH']).toContain(probe.network);
      });
    },
    { optional },
  );
}

describe('none is no isolation (the baseline)', () => {
  test('the command runs as the caller and reaches the host Unix sockets and files', async () => {
    const { result } = await runInSandbox('none', ['node', '-e', PROBE], { monitor, cwd, timeoutMs: 60_000 });
    removeHostileFiles();
    const probe = JSON.parse(result.stdout) as Probe;
    expect(probe.uid).toBe(process.getuid?.());
    expect(probe.sockets[runSocket]).toBe('answered');
    expect(probe.writes[PRIVATE_TMP]).toBe('ok');
  }, 60_000);
});
