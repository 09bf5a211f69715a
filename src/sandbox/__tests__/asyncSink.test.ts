import { execFile } from 'node:child_process';
import path from 'node:path';

/*
 * Issue 13, "An async sink kills the process": `new SandboxPerfMonitor({ sink: { insert: async ()
 * => { throw new Error('SQLITE_FULL') } } })`, then one start/stop, in a real child process: it
 * must exit 0 with persistErrors 1 and one log line, not die of an unhandled rejection.
 */

jest.setTimeout(60_000);

const CHILD = path.join(__dirname, 'fixtures', 'asyncSinkChild.js');

function run(kind: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CHILD, kind], { timeout: 30_000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

test.each([
  ['async-throw', /the sink rejected a record \(its promise failed\); the monitor goes on \(SQLITE_FULL: database or disk is full\)/],
  ['rejecting-thenable', /the sink rejected a record \(its promise failed\); the monitor goes on \(Error: rejected thenable\)/],
  ['throwing-then', /could not hand a record to persistence; the monitor goes on \(Error: then threw\)/],
])('a sink whose insert fails asynchronously (%s): the process exits 0 with persistErrors 1, logged once', async (kind, line) => {
  const { code, stdout, stderr } = await run(kind);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(line);
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ persistErrors: 1 });
});
