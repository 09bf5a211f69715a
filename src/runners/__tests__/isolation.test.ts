import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { runInSandbox } from '../runInSandbox';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { dockerMissing, INSTALL_DOCKER, toolMissing } from '../../../test/support/runners';
import type { BackendName } from '../types';

const monitor = new SandboxPerfMonitor({ sink: false });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-isolation-'));
// Docker runs the command as nobody when the directory is root's (containerUser): let it write here.
fs.chmodSync(dir, 0o777);
// Outside the bound directory, somewhere the caller (root here) could write on the host.
const outside = path.join(os.tmpdir(), `sandbox-perf-outside-${process.pid}`);
const etc = `/etc/sandbox-perf-isolation-${process.pid}`;
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { force: true });
  fs.rmSync(etc, { force: true });
});

// ENETUNREACH (no route in an empty namespace) is what an isolated network answers at once.
const CONNECT = `require('net').connect(53, '1.1.1.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
const INTERFACES = `console.log(Object.keys(require('os').networkInterfaces()).sort().join(','))`;

const CASES: { name: BackendName; missing: string | false; install: string }[] = [
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap' },
  { name: 'docker', missing: dockerMissing(), install: INSTALL_DOCKER },
];

for (const { name, missing, install } of CASES) {
  describeWhen(`${name} isolates`, missing, install, () => {
    test('a write outside the bound directory fails or stays in the sandbox; inside it lands on the host', async () => {
      const script = `echo x > ${etc} && echo wrote-etc; echo x > ${outside} && echo wrote-private-tmp; echo x > inside-${name}.txt && echo wrote-inside`;
      const { result } = await runInSandbox(name, ['sh', '-c', script], { monitor, cwd: dir });
      // /tmp is a tmpfs private to the sandbox: writable, but nothing reaches the host's /tmp.
      expect(result.stdout).toBe('wrote-private-tmp\nwrote-inside\n');
      expect(result.stderr).toMatch(/Read-only file system/);
      expect(fs.existsSync(etc)).toBe(false);
      expect(fs.existsSync(outside)).toBe(false);
      expect(fs.readFileSync(path.join(dir, `inside-${name}.txt`), 'utf8')).toBe('x\n');
    }, 30_000);

    test('the network is unreachable by default, and only loopback exists', async () => {
      const { result } = await runInSandbox(name, ['node', '-e', `${INTERFACES}; ${CONNECT}`], { monitor, cwd: dir });
      expect(result.stdout).toBe('lo\nENETUNREACH\n');
    }, 30_000);

    test('`network: true` gives the command an interface beyond loopback', async () => {
      const { result } = await runInSandbox(name, ['node', '-e', INTERFACES], { monitor, cwd: dir, network: true });
      expect(
        result.stdout
          .trim()
          .split(',')
          .filter((i) => i !== 'lo').length,
      ).toBeGreaterThan(0);
    }, 30_000);
  });
}
