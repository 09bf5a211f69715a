import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { commandTiming } from '../hostProcess';
import {
  HELD_BYTES,
  LAUNCHER_FILE,
  holdBackReport,
  launcherSpawnError,
  launcherStatus,
  parseLauncherReport,
  reportAgreesWithExit,
  reportLineLength,
} from '../launcher';
import { describeWhen } from '../../../../test/support/e2e';

/** The process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const line = (start: number, end: number, status = 0): string => `sandbox-perf-launcher 1 ${start} ${end} ${status} 1500 250 2048\n`;

test('parses the launcher line: times, exit code or signal, CPU time and peak memory', () => {
  expect(parseLauncherReport(line(1_000_000, 201_000_000))).toEqual({
    startNs: 1_000_000n,
    endNs: 201_000_000n,
    exitCode: 0,
    signal: null,
    userCpuMs: 1.5,
    systemCpuMs: 0.25,
    peakMemoryBytes: 2048 * 1024,
    key: null,
  });
  expect(parseLauncherReport(line(1, 2, 3 << 8))).toMatchObject({ exitCode: 3, signal: null });
  expect(parseLauncherReport(line(1, 2, 9))).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
});

test('a forged or damaged report is no report: wrong shape, end before start, not the last line', () => {
  expect(parseLauncherReport('')).toBeNull();
  expect(parseLauncherReport('sandbox-perf-launcher 1 spawn-error 2\n')).toBeNull();
  expect(parseLauncherReport(line(5, 4))).toBeNull();
  expect(parseLauncherReport(`${line(1, 2)}more output\n`)).toBeNull();
  expect(parseLauncherReport(line(1, 2).replace('1500', '-1'))).toBeNull();
  expect(parseLauncherReport(`junk${line(1, 2)}`)).toBeNull();
  // The last line wins: what a command printed before the launcher's own line does not count.
  expect(parseLauncherReport(`${line(1, 900)}${line(10, 20)}`)).toMatchObject({ startNs: 10n, endNs: 20n });
  // On standard error the launcher writes a newline before its line: both are its, both are cut.
  expect(reportLineLength(`err\n\n${line(10, 20)}`)).toBe(line(10, 20).length + 1);
});

test('standard error not ending in a newline (a progress bar): the report on a line of its own is read, and only what the launcher added is cut', () => {
  const report = `\n${line(10, 20)}`;
  for (const own of ['partial', 'err\n', '', 'a\n\n', `${line(1, 2)}partial`]) {
    const text = `${own}${report}`;
    expect(parseLauncherReport(text, 'stderr')).toMatchObject({ startNs: 10n, endNs: 20n });
    expect(text.slice(0, text.length - reportLineLength(text))).toBe(own);
  }
  // Without the launcher's newline in front it is not the launcher's line.
  expect(parseLauncherReport(line(10, 20), 'stderr')).toBeNull();
  expect(reportLineLength(line(10, 20))).toBe(0);
  expect(parseLauncherReport(line(10, 20))).toMatchObject({ startNs: 10n });
});

test('a keyed line (stderr-key): the key is read back; a spawn error counts only with the key asked for', () => {
  const key = '0123456789abcdef0123456789abcdef';
  expect(parseLauncherReport(line(1, 2).replace('\n', ` ${key}\n`))).toMatchObject({ startNs: 1n, key });
  expect(parseLauncherReport(line(1, 2))).toMatchObject({ key: null });
  expect(parseLauncherReport(line(1, 2).replace('\n', ` ${key.toUpperCase()}\n`))).toBeNull();
  expect(launcherSpawnError(`sandbox-perf-launcher 1 spawn-error 2 ${key}\n`, key)).toBe(2);
  expect(launcherSpawnError('sandbox-perf-launcher 1 spawn-error 2\n', key)).toBeNull();
  expect(launcherSpawnError('sandbox-perf-launcher 1 spawn-error 2\n')).toBe(2);
});

test('a report on standard error is taken only where it agrees with the exit the kernel or the engine saw', () => {
  const report = (status: number) => {
    const parsed = parseLauncherReport(line(1, 2, status));
    if (parsed === null) throw new Error(`line(1, 2, ${status}) did not parse`);
    return parsed;
  };
  expect(reportAgreesWithExit(report(3 << 8), 3, null)).toBe(true);
  // A line a left-behind process wrote: "success" where the command exited 3.
  expect(reportAgreesWithExit(report(0), 3, null)).toBe(false);
  expect(reportAgreesWithExit(report(3 << 8), null, 'SIGKILL')).toBe(false);
  // A signal, as the launcher re-raises it, or as Docker and runsc pass it on: 128 + N.
  expect(reportAgreesWithExit(report(11), null, 'SIGSEGV')).toBe(true);
  expect(reportAgreesWithExit(report(11), 139, null)).toBe(true);
  expect(reportAgreesWithExit(report(11), 137, null)).toBe(false);
  expect(reportAgreesWithExit(report(11), null, 'SIGTERM')).toBe(false);
  expect(reportAgreesWithExit(report(11), 0, null)).toBe(false);
});

test('commandTiming places the command in the run when the clocks agree, and refuses a command longer than its run', () => {
  const offsetMs = 0;
  // The run spanned 100..350 ms on this process's clock; the command 110..320.
  const timing = commandTiming(line(110e6, 320e6), 100, 350, offsetMs);
  expect(timing?.commandMs).toBe(210);
  expect(timing?.phases).toEqual({ spawn: 10, command: 210, exit: 30 });
  // Another clock (gVisor's): only the two ends together.
  expect(commandTiming(line(5e6, 215e6), 100, 350, offsetMs)?.phases).toEqual({ sandbox: 40, command: 210 });
  expect(commandTiming(line(0, 300e6), 100, 350, offsetMs)).toBeNull();
});

test('commandTiming with the end the engine saw: a report on standard error that disagrees with it, or lacks the key, is none', () => {
  const keyed = (status: number, key: string) => `\n${line(110e6, 320e6, status).replace('\n', ` ${key}\n`)}`;
  const key = 'ab'.repeat(16);
  const exit3 = { exitCode: 3, signal: null };
  const stderrLine = (status: number) => `\n${line(110e6, 320e6, status)}`;
  expect(commandTiming(stderrLine(3 << 8), 100, 350, 0, { ...exit3, key: null })?.commandMs).toBe(210);
  expect(commandTiming(`partial${stderrLine(3 << 8)}`, 100, 350, 0, { ...exit3, key: null })?.commandMs).toBe(210);
  expect(commandTiming(stderrLine(0), 100, 350, 0, { ...exit3, key: null })).toBeNull();
  expect(commandTiming(keyed(3 << 8, key), 100, 350, 0, { ...exit3, key })?.commandMs).toBe(210);
  expect(commandTiming(stderrLine(3 << 8), 100, 350, 0, { ...exit3, key })).toBeNull();
  expect(commandTiming(keyed(3 << 8, 'cd'.repeat(16)), 100, 350, 0, { ...exit3, key })).toBeNull();
  expect(commandTiming(keyed(3 << 8, key), 100, 350, 0, { ...exit3, key: null })).toBeNull();
});

test('streamed standard error never shows the launcher line: the end is held back, then passed on without it', () => {
  const seen: string[] = [];
  const held = holdBackReport((stream, chunk) => seen.push(`${stream}:${chunk.toString()}`));
  const noise = 'e'.repeat(HELD_BYTES + 10);
  held.listener?.('stdout', Buffer.from('out'));
  held.listener?.('stderr', Buffer.from(noise));
  held.listener?.('stderr', Buffer.from(`last words\n\n${line(1, 2)}`));
  held.finish();
  const err = seen
    .filter((s) => s.startsWith('stderr:'))
    .map((s) => s.slice(7))
    .join('');
  expect(seen[0]).toBe('stdout:out');
  expect(err).toBe(`${noise}last words\n`);
  expect(holdBackReport(undefined).listener).toBeUndefined();
});

test('streamed standard error is passed on byte for byte, with or without a trailing newline, empty, in chunks of any size', () => {
  const report = `\n${line(1, 2).replace('\n', ` ${'ab'.repeat(16)}\n`)}`;
  const noise = 'e'.repeat(HELD_BYTES + 10);
  for (const own of ['', 'partial', 'err\n', `${noise}partial`, `${noise}\n`]) {
    for (const size of [1, 7, 300]) {
      const seen: Buffer[] = [];
      const held = holdBackReport((_stream, chunk) => seen.push(chunk));
      const all = Buffer.from(`${own}${report}`);
      for (let at = 0; at < all.length; at += size) held.listener?.('stderr', all.subarray(at, at + size));
      held.finish();
      expect(Buffer.concat(seen).toString()).toBe(own);
      if (own === '') expect(seen).toEqual([]);
    }
  }
});

describeWhen(
  'the built launcher (native/launcher.c)',
  launcherStatus().path === null && 'the launcher is not built',
  'a C compiler (apt-get install gcc), then node native/build.js',
  () => {
    const run = (args: string[], fd3 = true): ReturnType<typeof spawnSync> =>
      spawnSync(LAUNCHER_FILE, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd3 ? 'pipe' : 'ignore'], timeout: 10_000 });

    test('reports on its descriptor and ends the way the command ended', () => {
      const ok = run(['3', 'sh', '-c', 'exit 7']);
      expect(ok.status).toBe(7);
      expect(parseLauncherReport(String(ok.output[3]))).toMatchObject({ exitCode: 7 });
      const killed = run(['3', 'sh', '-c', 'kill -TERM $$']);
      expect(killed.signal).toBe('SIGTERM');
      expect(parseLauncherReport(String(killed.output[3]))).toMatchObject({ signal: 'SIGTERM' });
    });

    test('stderr-key: reads the key from standard input, gives the command /dev/null, ends its line with the key', () => {
      const key = 'fedcba9876543210fedcba9876543210';
      const keyed = spawnSync(LAUNCHER_FILE, ['stderr-key', 'sh', '-c', 'cat; echo ran; exit 3'], {
        encoding: 'utf8',
        input: `${key}\nmore input the command must not see\n`,
        timeout: 10_000,
      });
      expect(keyed.status).toBe(3);
      expect(keyed.stdout).toBe('ran\n');
      expect(parseLauncherReport(keyed.stderr, 'stderr')).toMatchObject({ exitCode: 3, key });
      for (const input of ['', 'nothex\n', key, `${key.slice(1)}\n`]) {
        const refused = spawnSync(LAUNCHER_FILE, ['stderr-key', 'true'], { encoding: 'utf8', input, timeout: 20_000 });
        expect(refused.status).toBe(127);
        expect(refused.stderr).toMatch(/expected a key of 32 hex digits/);
      }
    });

    test('stderr: the report starts on a line of its own after output without a newline; cutting it leaves that output', () => {
      for (const own of ['partial', 'err\n', '']) {
        const ran = spawnSync(LAUNCHER_FILE, ['stderr', 'sh', '-c', `printf '${own.replace('\n', '\\n')}' >&2; exit 4`], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect(ran.status).toBe(4);
        expect(parseLauncherReport(ran.stderr, 'stderr')).toMatchObject({ exitCode: 4 });
        expect(ran.stderr.slice(0, ran.stderr.length - reportLineLength(ran.stderr))).toBe(own);
      }
      // Its descriptor is its own: no newline there.
      expect(String(run(['3', 'true']).output[3])).toMatch(/^sandbox-perf-launcher 1 /);
    });

    test('the command cannot write to the report descriptor, nor (same user, not root) reopen it through /proc', () => {
      // As nobody, launcher and command alike: only the launcher's non-dumpable flag stands in the way.
      const attack = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          LAUNCHER_FILE,
          '3',
          'sh',
          '-c',
          'echo forged >&3; echo forged > /proc/$PPID/fd/3; echo done',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 10_000 },
      );
      expect(attack.stdout).toBe('done\n');
      expect(attack.stderr).toMatch(/Bad file descriptor/);
      expect(attack.stderr).toMatch(/Permission denied/);
      const report = String(attack.output[3]);
      expect(report).not.toMatch(/forged/);
      expect(parseLauncherReport(report)).toMatchObject({ exitCode: 0 });
    });

    test('the command dies with the launcher: SIGKILL of the launcher kills the command (its parent-death signal)', async () => {
      const launcher = spawn(LAUNCHER_FILE, ['stderr', 'sleep', '300'], { stdio: 'ignore' });
      const pid = launcher.pid as number;
      let child: number | null = null;
      for (let i = 0; i < 200 && child === null; i++) {
        const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        if (children !== '' && readFileSync(`/proc/${children}/cmdline`, 'utf8').startsWith('sleep')) child = Number(children);
        else await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(child).not.toBeNull();
      const exited = new Promise((resolve) => launcher.once('exit', resolve));
      launcher.kill('SIGKILL');
      await exited;
      let alive = true;
      for (let i = 0; i < 200 && alive; i++) {
        alive = running(child as number);
        if (alive) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(alive).toBe(false);
    });

    test('a runner that died during the sandbox set-up (the report descriptor has no reader): the command is not started', () => {
      const late = spawnSync('bash', ['-c', `exec 3> >(exit 0); sleep 0.3; ${LAUNCHER_FILE} 3 echo started`], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(late.status).toBe(127);
      expect(late.stdout).toBe('');
      expect(late.stderr).toMatch(/the runner is gone; not starting echo/);
    });

    test('bad arguments and a missing program: exit 127 with a message', () => {
      expect(run(['1', 'true']).status).toBe(127);
      expect(run(['x', 'true']).stderr).toMatch(/expected an open file descriptor >= 3, `stderr` or `stderr-key`, got x/);
      const missing = run(['3', 'sandbox-perf-no-such-program']);
      expect(missing.status).toBe(127);
      expect(String(missing.output[3])).toBe('sandbox-perf-launcher 1 spawn-error 2\n');
    });
  },
);
