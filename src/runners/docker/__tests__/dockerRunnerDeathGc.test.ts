/**
 * @exclusive `sandbox-perf gc` must be the one that removes the SIGKILLed runner's container and say
 * so: a Docker backend prepared by a file running beside it (every prepare sweeps) would remove it first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describeWhen } from '../../../../test/support/e2e';
import { main } from '../../../cli/main';
import { dockerMissing, INSTALL_DOCKER, processesMatching } from '../../../../test/support/runners';
import { containersOf, killGuardianOf, startRunner, until } from './runnerDeath';

/* The gc case of dockerRunnerDeath.test.ts, apart because it alone needs the engine to itself (see above). */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runner-death-gc-'));
fs.chmodSync(dir, 0o777);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const missing = dockerMissing();
for (const backend of ['docker', 'docker-warm']) {
  describeWhen(`${backend}: runs die with their runner`, missing, INSTALL_DOCKER, () => {
    test(`runs die with their runner after SIGKILL: \`sandbox-perf gc\` removes the container of a SIGKILLed ${backend} runner and says so`, async () => {
      const runner = await startRunner(backend, dir);
      const [id] = containersOf(runner.pid);
      killGuardianOf(runner.pid);
      process.kill(runner.pid, 'SIGKILL');
      await runner.ended;
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await main(['gc'], { stdout, stderr: new PassThrough(), env: {}, cwd: dir });
      expect(code).toBe(0);
      expect(out).toMatch(/^Removed [1-9]\d* containers? whose owner is gone \(/);
      expect(out).toContain((id ?? '').slice(0, 12));
      expect(containersOf(runner.pid)).toEqual([]);
      expect(await until(() => processesMatching(`sleep ${runner.sleep}`).length === 0, 5000)).toBe(true);
    }, 180_000);
  });
}
