/**
 * Regression (hostile trial, s37): on the backends whose launcher reports as the last line of
 * standard error (docker, docker-warm, gvisor), a command whose standard error did not end in a
 * newline (`printf partial >&2`, any progress bar) lost its command time, and the report line, with
 * docker-warm's secret key, was passed on glued to its output. The launcher now starts its line on
 * a line of its own and the host cuts exactly what the launcher added.
 */
import fs from 'node:fs';
import { describeWhen } from '../../../test/support/e2e';
import { dockerMissing, gvisorMissing, INSTALL_DOCKER, preparedBackend } from '../../../test/support/runners';
import { sandboxDir } from '../../../test/support/tempDir';
import { launcherStatus } from '../host/launcher';
import type { BackendName } from '../types';

const dir = sandboxDir('stderr-no-newline');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const noLauncher = launcherStatus().path === null && 'the launcher is not built (node native/build.js)';
const notRoot = process.getuid?.() !== 0 && 'gvisor runs as root';
const cases: { name: BackendName; missing: string | false; install: string; optional?: boolean }[] = [
  { name: 'docker', missing: noLauncher || dockerMissing(), install: INSTALL_DOCKER },
  { name: 'docker-warm', missing: noLauncher || dockerMissing(), install: INSTALL_DOCKER },
  { name: 'gvisor', missing: noLauncher || notRoot || gvisorMissing(), install: 'apt-get install runsc', optional: true },
];

for (const { name, missing, install, optional } of cases) {
  describeWhen(
    `${name}: standard error without a trailing newline`,
    missing,
    install,
    () => {
      const backend = preparedBackend(name, { cwd: dir });

      test.each([
        ['partial', 'partial'],
        ['a trailing newline', 'err\n'],
        ['nothing', ''],
        ['a blank last line', 'a\n\n'],
      ])(
        'with %s on standard error: the command is timed, and its output is passed on byte for byte, streamed and kept',
        async (_what, own) => {
          const streamed: Buffer[] = [];
          const result = await backend().run(['sh', '-c', 'printf "%s" "$1" >&2; exit 3', 'sh', own], {
            timeoutMs: 60_000,
            onOutput: (stream, chunk) => {
              if (stream === 'stderr') streamed.push(chunk);
            },
          });
          expect(result).toMatchObject({ outcome: 'error', exitCode: 3, stderr: own, stdout: '' });
          expect(Buffer.concat(streamed).toString()).toBe(own);
          expect(result.timer).toBe('launcher');
          expect(result.commandMs).toEqual(expect.any(Number));
          expect(result.phases.command).toEqual(expect.any(Number));
        },
        120_000,
      );
    },
    { optional: optional ?? false },
  );
}
