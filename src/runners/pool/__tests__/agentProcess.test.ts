import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { launcherStatus, parseLauncherReport } from '../../host/launcher';
import { agentProgram } from '../agentBinary';
import { AGENT_SCRIPT } from '../agentScript';
import { FrameReader, MAX_FRAME_BYTES, parseAccepted, parseExit, parseReady, type ExitReport, type FrameType } from '../agentProtocol';
import { sandboxDir } from '../../../../test/support/tempDir';

/*
 * The pool agents as processes on the host, outside any container: the C agent (native/agent.c)
 * and the Node agent (agentScript.ts) get the same bytes and must answer what the host's parsers
 * (agentProtocol.ts) accept, with the same outcome. Root only: the agent starts each command as
 * 65534, which needs CAP_SETUID.
 */

const USER = '65534:65534';
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
const cwd = sandboxDir('agent');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

type Kind = 'c' | 'node';
const cAgent = agentProgram().file;

interface AgentEnd {
  exitCode: number | null;
  frames: [FrameType, Buffer][];
  ready: string | null;
  report: ExitReport | null;
  stdout: string;
  stderr: string;
}

function agentArgv(kind: Kind, user: string, socket: string, launcher: string): [string, string[]] {
  const tail = [user, 'the-token', socket, launcher];
  return kind === 'c' ? [cAgent as string, tail] : [process.execPath, ['-e', AGENT_SCRIPT, ...tail]];
}

/**
 * Starts an agent on its stdio and talks as the host does: the warm-up line, the rest of `input`
 * once the ready frame came (at once when `input` does not start with the warm-up line), then
 * every frame until it exits.
 */
function talk(
  kind: Kind,
  input: Buffer | string,
  options: { user?: string; launcher?: string; extraFd?: boolean } = {},
): Promise<AgentEnd> {
  const [file, args] = agentArgv(kind, options.user ?? USER, '', options.launcher ?? '');
  // Its own process group: an agent that kills its command's group must not reach this one.
  const stdio = options.extraFd === true ? ['pipe', 'pipe', 'inherit', 'pipe'] : ['pipe', 'pipe', 'inherit'];
  const child = spawn(file, args, { cwd, stdio: stdio as ['pipe', 'pipe', 'inherit'], detached: true });
  child.stdin.on('error', () => undefined);
  const bytes = Buffer.from(input);
  const warm = bytes[0] === 10;
  if (warm) child.stdin.write(bytes.subarray(0, 1));
  else child.stdin.end(bytes);
  const onReady = (): void => {
    if (warm) child.stdin.end(bytes.subarray(1));
  };
  return collect(child.stdout, new Promise((resolve) => child.once('exit', (code) => resolve(code))), onReady);
}

function collect(stream: NodeJS.ReadableStream, exited: Promise<number | null>, onReady = (): void => undefined): Promise<AgentEnd> {
  const frames: [FrameType, Buffer][] = [];
  const reader = new FrameReader((type, payload) => {
    frames.push([type, Buffer.from(payload)]);
    if (type === 'R') onReady();
  });
  stream.on('data', (chunk: Buffer) => reader.push(chunk));
  return new Promise((resolve) => {
    stream.once('end', () => {
      void exited.then((exitCode) => {
        const of = (type: FrameType): Buffer[] => frames.filter(([t]) => t === type).map(([, payload]) => payload);
        const ready = of('R')[0];
        const accepted = of('A')[0];
        const exit = of('X')[0];
        if (accepted !== undefined) parseAccepted(accepted);
        resolve({
          exitCode,
          frames,
          ready: ready === undefined ? null : parseReady(ready),
          report: exit === undefined ? null : parseExit(exit),
          stdout: Buffer.concat(of('O')).toString(),
          stderr: Buffer.concat(of('E')).toString(),
        });
      });
    });
  });
}

const request = (argv: readonly string[], timeoutMs = 10_000, env: Record<string, string> = ENV): string =>
  `\n${JSON.stringify({ argv, env, cwd, timeoutMs })}\n`;

const missing = process.getuid?.() !== 0 ? 'not root (the agent starts commands as 65534)' : cAgent === null ? agentProgram().why : false;

describeWhen('the pool agents, C and Node, on the same bytes', missing, 'node native/build.js (a C compiler), as root', () => {
  describe.each<Kind>(['c', 'node'])('the %s agent', (kind) => {
    test('a run: ready with the token, accepted, output in order, the exit code, clock readings in order', async () => {
      const end = await talk(kind, request(['sh', '-c', 'echo out; echo err >&2; id -u; exit 3']));
      expect(end.exitCode).toBe(0);
      expect(end.ready).toBe('the-token');
      expect(end.frames.map(([type]) => type)[0]).toBe('R');
      expect(end.frames.map(([type]) => type)[1]).toBe('A');
      expect(end.frames.map(([type]) => type).at(-1)).toBe('X');
      expect(end.stdout).toBe('out\n65534\n');
      expect(end.stderr).toBe('err\n');
      expect(end.report).toMatchObject({ code: 3, signal: null, timedOut: false, error: null, usage: null });
      expect((end.report as ExitReport).exited).toBeGreaterThanOrEqual((end.report as ExitReport).received);
    });

    test("behind the launcher: its wait4 line comes back raw, inside the agent's own clock readings", async () => {
      const launcher = launcherStatus().path;
      if (launcher === null) throw new Error('no launcher built: node native/build.js');
      const end = await talk(kind, request(['sh', '-c', 'exit 5']), { launcher });
      const report = end.report as ExitReport;
      const usage = parseLauncherReport(report.usage ?? '');
      expect(usage).toMatchObject({ exitCode: 5, signal: null });
      expect(report.code).toBe(5);
      if (usage === null) return;
      expect(report.received).toBeLessThanOrEqual(usage.startNs);
      expect(usage.endNs).toBeLessThanOrEqual(report.exited);
    });

    test('the timeout kills the command and its process group: SIGKILL, timedOut', async () => {
      const end = await talk(kind, request(['sh', '-c', 'sleep 30 & sleep 30'], 300));
      expect(end.report).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true, error: null });
    });

    test('a command that is not there is an error naming it, and nothing ran', async () => {
      const end = await talk(kind, request(['sandbox-perf-no-such-command']));
      expect(end.report).toMatchObject({ code: null, signal: null, error: 'spawn sandbox-perf-no-such-command ENOENT' });
      expect(end.stdout).toBe('');
    });

    test('a command that closes its output and goes on is still waited for', async () => {
      const end = await talk(kind, request(['sh', '-c', 'exec >&- 2>&-; sleep 0.3; exit 7']));
      expect(end.report).toMatchObject({ code: 7, timedOut: false, error: null });
      const report = end.report as ExitReport;
      expect(Number(report.exited - report.received) / 1e6).toBeGreaterThanOrEqual(300);
    });

    test('a background process holding the output open does not hold the report back', async () => {
      const end = await talk(kind, request(['sh', '-c', '(sleep 20; echo late) & echo now']));
      expect(end.report).toMatchObject({ code: 0, error: null });
      expect(end.stdout).toBe('now\n');
    }, 15_000);

    test('a flood of output comes through whole, in frames the host accepts', async () => {
      const end = await talk(kind, request(['head', '-c', String(16 << 20), '/dev/zero']));
      expect(end.report).toMatchObject({ code: 0, error: null });
      const out = end.frames.filter(([type]) => type === 'O');
      expect(out.reduce((sum, [, payload]) => sum + payload.length, 0)).toBe(16 << 20);
      expect(Math.max(...out.map(([, payload]) => payload.length))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    });

    test('an argv too large for execve is an error report (E2BIG), not a crash', async () => {
      const huge = ['true', ...Array<string>(200_000).fill('x'.repeat(10))];
      const end = await talk(kind, request(huge));
      expect(end.exitCode).toBe(0);
      expect(end.report).toMatchObject({ code: null, signal: null });
      expect(end.report?.error).toMatch(/E2BIG/);
    });

    test('a request of the wrong shape is answered with an error, and nothing runs', async () => {
      const end = await talk(kind, `\n${JSON.stringify({ argv: [1], env: ENV, cwd, timeoutMs: 1000 })}\n`);
      expect(end.exitCode).toBe(0);
      expect(end.report).toMatchObject({ code: null, signal: null, timedOut: false });
      expect(end.report?.error).toEqual(expect.any(String));
    });

    test('malformed input ends the agent before anything runs: exit 4 (no warm-up line, not JSON), 3 (a request past 4 MiB)', async () => {
      expect((await talk(kind, 'x\n')).exitCode).toBe(4);
      const notJson = await talk(kind, '\n{"argv": ["true"],\n');
      expect([notJson.exitCode, notJson.report]).toEqual([4, null]);
      const endless = await talk(kind, Buffer.concat([Buffer.from('\n{"argv":["'), Buffer.alloc(5 << 20, 'x')]));
      expect([endless.exitCode, endless.report]).toEqual([3, null]);
    });

    test('the channel closed before a request: the agent exits 0 and runs nothing', async () => {
      const end = await talk(kind, '\n');
      // (The Node agent may end before its warm-up spawn let it say it was ready.)
      expect([end.exitCode, end.report]).toEqual([0, null]);
    });

    test('it refuses to start commands as root or as its own uid (exit 6)', async () => {
      for (const user of ['0:0', '65534:0', `${process.getuid?.() ?? 0}:65534`, 'nobody', '65534'])
        expect([user, (await talk(kind, request(['true']), { user })).exitCode]).toEqual([user, 6]);
    });
  });

  // The Node agent passes on whatever non-close-on-exec descriptor it inherited (libuv closes none):
  // harmless in a container, where runc hands it its stdio alone; the C agent closes them all.
  test('the C agent: the command inherits no descriptor but its stdio, whatever the agent inherited', async () => {
    // ls lists the shell's descriptors from outside (the shell waits for it).
    const end = await talk('c', request(['sh', '-c', 'ls -l /proc/$$/fd; true']), { extraFd: true });
    const fds = [...end.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map(([, fd, target]) => `${fd} ${target}`);
    expect(fds.map((line) => line.split(' ')[0])).toEqual(['0', '1', '2']);
    expect(fds[0]).toBe('0 /dev/null');
  });

  test('the C agent over a Unix socket it connects to, as in runc-pool without the guard', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-agent-sock-'));
    const file = path.join(dir, 'agent.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(file, resolve));
    try {
      const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
      const [bin, args] = agentArgv('c', USER, file, '');
      const child = spawn(bin, args, { cwd, stdio: 'ignore', detached: true });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const socket = await connected;
      const end = collect(socket, exited);
      socket.end(request(['sh', '-c', 'echo over the socket']));
      expect(await end).toMatchObject({ exitCode: 0, ready: 'the-token', stdout: 'over the socket\n', report: { code: 0 } });
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
