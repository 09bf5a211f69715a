import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { processesMatching, uniqueSleep } from '../../../../test/support/runners';
import { probeFreezer } from '../containmentGroup';
import { Spawner, spawnerStatus } from '../Spawner';
import { encodeRun, FrameReader, parseDone, type SpawnRequest } from '../spawnerProtocol';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-spawner-'));
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const which = (name: string): string => spawnSync('which', [name], { encoding: 'utf8' }).stdout.trim();
const ENV = { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' };

function request(argv: string[], extra: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    file: which(argv[0] as string),
    argv,
    env: ENV,
    cwd,
    timeoutMs: 0,
    noNewPrivs: false,
    reportFd: false,
    groups: [],
    freezer: null,
    ...extra,
  };
}

describe('the spawner protocol', () => {
  test('a run request is NUL-separated fields behind a little-endian length', () => {
    const frame = encodeRun(7, {
      ...request(['true']),
      file: '/bin/true',
      env: { A: '1' },
      timeoutMs: 2.5,
      reportFd: true,
      groups: ['/g'],
    });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4).toString().split('\0')).toEqual([
      'run',
      '7',
      '3',
      'r',
      cwd,
      '/bin/true',
      '1',
      'true',
      '1',
      'A=1',
      '1',
      '/g',
      '',
      '',
    ]);
  });

  test('a NUL inside a field is refused: it would shift every field after it', () => {
    expect(() => encodeRun(1, request(['true'], { argv: ['true', 'a\0b'] }))).toThrow(/Expected `argv` to hold no NUL character/);
  });

  test('frames are reassembled across chunk boundaries', () => {
    const reader = new FrameReader();
    const frame = (kind: string, id: number, data: string): Buffer => {
      const body = Buffer.concat([Buffer.from(kind), Buffer.alloc(4), Buffer.from(data)]);
      body.writeUInt32LE(id, 1);
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.length);
      return Buffer.concat([head, body]);
    };
    const bytes = Buffer.concat([frame('O', 1, 'hello'), frame('D', 1, '1 2 0 3 4 5 0 - 0\n')]);
    const first = reader.push(bytes.subarray(0, 7));
    const rest = reader.push(bytes.subarray(7));
    expect(first).toEqual([]);
    expect(rest.map((f) => [f.kind, f.id, f.data.toString()])).toEqual([
      ['O', 1, 'hello'],
      ['D', 1, '1 2 0 3 4 5 0 - 0\n'],
    ]);
    expect(() => new FrameReader().push(frame('X', 1, ''))).toThrow(/unknown kind/);
  });

  test('the end-of-run line: times, exit or signal, CPU, memory, timeout, stage, then the report', () => {
    expect(parseDone(Buffer.from('10 30 768 1500 250 2048 0 - 0\nsandbox-perf-launcher 1 ...'))).toEqual({
      startNs: 10n,
      endNs: 30n,
      exitCode: 3,
      signal: null,
      userCpuMs: 1.5,
      systemCpuMs: 0.25,
      peakMemoryBytes: 2048 * 1024,
      key: null,
      timedOut: false,
      stage: 'ran',
      errno: 0,
      report: 'sandbox-perf-launcher 1 ...',
    });
    expect(parseDone(Buffer.from('10 30 9 0 0 0 1 - 0\n'))).toMatchObject({ signal: 'SIGKILL', exitCode: null, timedOut: true });
    expect(parseDone(Buffer.from('0 0 32512 0 0 0 0 exec 2\n'))).toMatchObject({ stage: 'exec', errno: 2 });
    expect(() => parseDone(Buffer.from('10 x\n'))).toThrow(/malformed/);
  });
});

describeWhen(
  'the built spawner (native/spawner.c)',
  spawnerStatus().path === null && 'the spawner is not built',
  'a C compiler (apt-get install gcc), then node native/build.js',
  () => {
    let spawner: Spawner;
    beforeAll(async () => {
      spawner = await Spawner.start(spawnerStatus().path as string);
    });
    afterAll(() => spawner.close());

    async function run(
      argv: string[],
      extra: Partial<SpawnRequest> = {},
    ): Promise<{ out: string; err: string; done: ReturnType<typeof parseDone> }> {
      let out = '';
      let err = '';
      const { done } = spawner.run(request(argv, extra), (stream, chunk) => {
        if (stream === 'stdout') out += chunk.toString();
        else err += chunk.toString();
      });
      // Every chunk of a run comes before its end.
      const ended = await done;
      return { out, err, done: ended };
    }

    test('runs a command: its output on each stream, its exit code, two clock readings in order', async () => {
      const { out, err, done } = await run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(out).toBe('out\n');
      expect(err).toBe('err\n');
      expect(done).toMatchObject({ stage: 'ran', exitCode: 3, signal: null, timedOut: false });
      expect(done.endNs).toBeGreaterThan(done.startNs);
    });

    test('the command gets exactly the environment, working directory and descriptors asked for', async () => {
      const { out } = await run(['sh', '-c', 'env; pwd; ls /proc/self/fd | sort -n | tr "\\n" " "'], { reportFd: true });
      const lines = out.trim().split('\n');
      expect(lines.filter((l) => l.includes('=')).sort()).toEqual(['HOME=/tmp', 'LANG=C.UTF-8', 'PATH=/usr/bin:/bin', `PWD=${cwd}`].sort());
      expect(lines).toContain(cwd);
      // 0-2, 3 for the report and one for ls's own reading of the directory: nothing of the spawner's.
      expect(lines[lines.length - 1]?.trim()).toBe('0 1 2 3 4');
    });

    test("the command has a process group of its own in the spawner's session, which has no controlling terminal", async () => {
      // Not a session per run: each new session is a new scheduling autogroup, which starts behind the others.
      const { out } = await run(['cat', '/proc/self/stat']);
      // pid (comm) state ppid pgrp session tty_nr …
      const pid = Number(out.split(' ')[0]);
      const [ppid, pgrp, session, tty] = out
        .slice(out.lastIndexOf(')') + 2)
        .split(' ')
        .slice(1, 5)
        .map(Number);
      expect(pgrp).toBe(pid);
      expect(session).toBe(ppid);
      expect(tty).toBe(0);
    });

    test('a program that cannot be executed: stage exec with its errno', async () => {
      const { done } = await run(['nothing'], { file: path.join(cwd, 'no-such-program') });
      expect(done).toMatchObject({ stage: 'exec', errno: os.constants.errno.ENOENT });
    });

    test('the timeout is enforced by the spawner: SIGKILL, the whole process group', async () => {
      const marker = uniqueSleep();
      const { done } = await run(['sh', '-c', `sleep ${marker} & sleep ${marker}`], { timeoutMs: 300 });
      expect(done).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
      expect(processesMatching(marker)).toEqual([]);
    });

    test('what the command leaves in its process group is killed after the clock stopped, before the end is reported', async () => {
      const { out, done } = await run(['sh', '-c', '(sleep 1; echo late) & echo early']);
      expect(out).toBe('early\n');
      expect(done.exitCode).toBe(0);
    });

    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : null;
    (python === null ? test.skip : test)(
      "the report is read after the reap, not inside the window (hyperfine's run of the printed line reads none)",
      async () => {
        // The command writes a report early in its window, then counts what is still in the pipe (FIONREAD).
        const script = [
          'import fcntl, os, struct, termios, time',
          'os.write(3, b"a report\\n")',
          'time.sleep(0.3)',
          'print(struct.unpack("i", fcntl.ioctl(3, termios.FIONREAD, b"\\0" * 4))[0])',
        ].join('; ');
        const { out, done } = await run(['python3', '-c', script], { reportFd: true, file: python as string });
        // Before: 0 (the spawner woke and read it at once).
        expect(out.trim()).toBe('9');
        expect(done.report).toBe('a report\n');
      },
    );

    test('descriptor 3 is the report pipe: what the command writes there comes back in the end', async () => {
      const { done } = await run(['sh', '-c', 'echo "a report" >&3'], { reportFd: true });
      expect(done.report).toBe('a report\n');
    });

    test('a probe exits instead of exec-ing: the timer around nothing', async () => {
      const { done } = await run(['sandbox-perf-never-run'], { file: '/nonexistent', probe: true });
      expect(done).toMatchObject({ stage: 'ran', exitCode: 0 });
    });

    test('no_new_privs is set when asked, not otherwise', async () => {
      const status = async (noNewPrivs: boolean): Promise<string> =>
        (await run(['grep', 'NoNewPrivs', '/proc/self/status'], { noNewPrivs })).out.replace(/\s+/g, ' ').trim();
      expect(await status(true)).toBe('NoNewPrivs: 1');
      expect(await status(false)).toBe('NoNewPrivs: 0');
    });

    test('the groups are joined before the clock starts: a join that blocks for 300 ms is not in the window', async () => {
      // The spawner writes to <dir>/cgroup.procs; a FIFO there blocks the join until it is read.
      const dir = fs.mkdtempSync(path.join(cwd, 'group-'));
      const fifo = path.join(dir, 'cgroup.procs');
      spawnSync('mkfifo', [fifo]);
      const running = run(['true'], { groups: [dir] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const released = process.hrtime.bigint();
      fs.readFileSync(fifo);
      const { done } = await running;
      expect(done.stage).toBe('ran');
      expect(done.startNs).toBeGreaterThanOrEqual(released);
    });

    test('a group that cannot be joined fails the run before anything started', async () => {
      const { done } = await run(['true'], { groups: [path.join(cwd, 'no-such-group')] });
      expect(done).toMatchObject({ stage: 'setup', errno: os.constants.errno.ENOENT, startNs: 0n, endNs: 0n });
    });

    describeWhen(
      'with a freezer group (root, cgroup v1)',
      probeFreezer().root === null && probeFreezer().reason,
      'run as root on a host with the cgroup v1 freezer hierarchy mounted',
      () => {
        const group = path.join(probeFreezer().root ?? '', 'sandbox-perf', `spawner-test-${process.pid}`);
        beforeAll(() => fs.mkdirSync(group));
        afterAll(() => fs.rmdirSync(group));

        test('the command is in the group from its first instruction, and a setsid escape dies at the end of the run', async () => {
          const marker = uniqueSleep();
          const { out } = await run(['sh', '-c', `grep freezer /proc/self/cgroup; setsid sleep ${marker} > /dev/null 2>&1 < /dev/null &`], {
            groups: [group],
            freezer: group,
          });
          expect(out).toContain(`freezer:/sandbox-perf/spawner-test-${process.pid}`);
          expect(processesMatching(marker)).toEqual([]);
          expect(fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8')).toBe('');
        });
      },
    );

    test('the runner SIGKILLed: the spawner kills what its runs started and exits', async () => {
      const marker = uniqueSleep();
      const script = `
        const { Spawner } = require(${JSON.stringify(path.join(__dirname, '..', 'Spawner.ts'))});
        Spawner.start(${JSON.stringify(spawnerStatus().path)}).then((s) => {
          s.run(${JSON.stringify(request(['sh', '-c', `sleep ${marker} & sleep ${marker}`]))}, () => undefined);
        });`;
      const registerTs = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'registerTs.js');
      const runner = spawn(process.execPath, ['-r', registerTs, '-e', script], { stdio: 'ignore' });
      // sh and its two sleeps (the runner's own command line holds the marker too).
      const ofRun = (): string[] => processesMatching(`sleep ${marker}`).filter((line) => !line.includes('registerTs'));
      const deadline = Date.now() + 30_000;
      while (ofRun().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ofRun()).toHaveLength(3);
      const spawnerPid = spawnSync('ps', ['-o', 'pid=', '--ppid', String(runner.pid)], { encoding: 'utf8' }).stdout.trim();
      expect(spawnerPid).toMatch(/^\d+$/);
      runner.kill('SIGKILL');
      const gone = Date.now() + 5000;
      const alive = (): boolean => {
        try {
          return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${spawnerPid}/status`, 'utf8'));
        } catch {
          return false;
        }
      };
      while ((ofRun().length > 0 || alive()) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
      expect(ofRun()).toEqual([]);
      expect(alive()).toBe(false);
    }, 60_000);
  },
);
