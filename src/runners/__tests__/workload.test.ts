import { commandWorkload, namedWorkload } from '../workload';
import { runInSandbox } from '../runInSandbox';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import type { SandboxRunDetails } from '../../sandbox/types';

test('a command line in a directory always gets the same key, and another argv split or directory another key', () => {
  const a = commandWorkload(['sleep', '0.2'], '/srv/app');
  expect(a).toEqual({ key: expect.stringMatching(/^cmd-[0-9a-f]{12}$/) as string, label: 'sleep 0.2' });
  expect(commandWorkload(['sleep', '0.2'], '/srv/app')).toEqual(a);
  expect(commandWorkload(['sleep 0.2'], '/srv/app').key).not.toBe(a.key);
  expect(commandWorkload(['sleep', '0.2'], '/srv/other').key).not.toBe(a.key);
});

test('labels are short and printable whatever the command line holds', () => {
  const long = commandWorkload(['node', '-e', `console.log(${'1+'.repeat(50)}1)\n`], '/');
  expect(long.label).toHaveLength(40);
  expect(long.label.endsWith('…')).toBe(true);
  expect(commandWorkload(['printf', 'a\nb\u001b[31m'], '/').label).toBe('printf a?b?[31m');
});

test('a caller-named workload is checked, with the one message shape', () => {
  expect(namedWorkload('nightly build')).toEqual({ key: 'nightly build', label: 'nightly build' });
  expect(() => namedWorkload('')).toThrow(
    /^Expected `workload` to be a non-empty string of at most 200 characters without control characters, got `""` \(string\)$/,
  );
  expect(() => namedWorkload('a\nb')).toThrow(/Expected `workload`/);
  expect(() => namedWorkload('x'.repeat(201))).toThrow(/Expected `workload`/);
});

test("runInSandbox records the workload: the derived one by default, the caller's name when given", async () => {
  const seen: (SandboxRunDetails | undefined)[] = [];
  const monitor = new SandboxPerfMonitor({ sink: false });
  monitor.on('record', (_record, details) => seen.push(details));
  const derived = await runInSandbox('none', ['true'], { monitor, cwd: '/tmp' });
  expect(derived.workload).toEqual(commandWorkload(['true'], '/tmp'));
  await runInSandbox('none', ['true'], { monitor, cwd: '/tmp', workload: 'ci smoke' });
  await expect(runInSandbox('none', ['true'], { monitor, workload: 7 as unknown as string })).rejects.toThrow(/Expected `workload`/);
  expect(seen.map((d) => [d?.workload, d?.workloadLabel])).toEqual([
    [derived.workload.key, 'true'],
    ['ci smoke', 'ci smoke'],
  ]);
});
