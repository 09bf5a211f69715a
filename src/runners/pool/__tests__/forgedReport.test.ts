import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen, e2eRequired } from '../../../../test/support/e2e';
import {
  dockerMissing,
  INSTALL_DOCKER,
  INSTALL_RUNC,
  INSTALL_RUNSC,
  runcMissing,
  runscRuntimeMissing,
  tempRecording,
} from '../../../../test/support/runners';
import { createPool, type Pool } from '../createPool';
import type { PoolBackendName } from '../SandboxPool';

/*
 * Issue 23, finding 3: in gvisor-pool the command opened /proc/1/fd/1 (the agent's stdout, the
 * report channel) and wrote its own exit report, code 0: the run was recorded as a success of
 * 1 ms while the real command slept 3 s and exited 3. docker-pool's channel is a socket, which
 * /proc does not reopen; but the command could ptrace the agent (same uid, runc's seccomp allows
 * it) and have it write the forged frame itself. The attacker below tries both on both pools.
 */

const recording = tempRecording();
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
});

const FIXTURES = path.join(__dirname, 'fixtures');
let injectorProblem: string | null = null;
beforeAll(() => {
  fs.copyFileSync(path.join(FIXTURES, 'forgeReport.js'), path.join(recording.dir, 'forgeReport.js'));
  // Static, so that it runs in the image whatever its C library (as native/build.js builds the launcher).
  const cc = spawnSync(
    process.env.CC ?? 'cc',
    ['-static', '-O2', '-o', path.join(recording.dir, 'injectFrame'), path.join(FIXTURES, 'injectFrame.c')],
    {
      encoding: 'utf8',
    },
  );
  if (cc.status !== 0) injectorProblem = `cannot build the ptrace attacker: ${cc.error?.message ?? cc.stderr.trim()}`;
  for (const file of ['forgeReport.js', 'injectFrame'])
    if (fs.existsSync(path.join(recording.dir, file))) fs.chmodSync(path.join(recording.dir, file), 0o755);
});

const CASES: { name: PoolBackendName; missing: string | false; install: string; optional: boolean }[] = [
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER, optional: false },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_RUNSC, optional: true },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC, optional: false },
];

/** A pool of each available backend and the attacker's run in it (`sandboxId` `<name>-forged`). */
interface Attacked {
  pool: Pool;
  forged: Awaited<ReturnType<Pool['run']>>;
}
const attacked = new Map<PoolBackendName, Promise<Attacked>>();
// The three attacks (each a 3 s command) run side by side, once the injector is built; each block awaits its own.
beforeAll(() => {
  for (const { name, missing } of CASES) {
    if (missing) continue;
    const attack = (async (): Promise<Attacked> => {
      const pool = await createPool(name, { cwd: recording.dir, size: 1, monitor: recording.monitor });
      return { pool, forged: await pool.run(['node', 'forgeReport.js'], { sandboxId: `${name}-forged`, timeoutMs: 30_000 }) };
    })();
    attack.catch(() => undefined); // awaited (and failed) by its own block
    attacked.set(name, attack);
  }
});

for (const { name, missing, install, optional } of CASES) {
  describeWhen(
    `${name}: who may write the report channel`,
    missing,
    install,
    () => {
      let pool: Pool;
      let forged: Attacked['forged'];
      beforeAll(async () => {
        ({ pool, forged } = await (attacked.get(name) as Promise<Attacked>));
      }, 120_000);
      afterAll(() => pool.close(), 60_000);

      test(`forged results in ${name}: a command that writes its own exit report (code 0) through /proc/1/fd or ptrace is recorded as what it did (3 s, exit 3)`, async () => {
        if (injectorProblem !== null) {
          if (e2eRequired) throw new Error(injectorProblem);
          process.stderr.write(`partly skipped: ${injectorProblem}\n`);
        }
        const sandboxId = `${name}-forged`;
        const { record, result } = forged;
        // What the attacker managed is in its stderr; the assertions below are what counts.
        process.stderr.write(`${name}: ${result.stderr}`);
        expect(result).toMatchObject({ outcome: 'error', exitCode: 3, signal: null, error: 'exited with code 3' });
        expect(record.outcome).toBe('error');
        expect(record.durationMs).toBeGreaterThanOrEqual(3000);
        if (result.commandMs !== null && result.commandMs !== undefined) expect(result.commandMs).toBeGreaterThanOrEqual(2900);
        await recording.db.flush();
        expect(recording.rows(sandboxId).details).toMatchObject({ backend: name, exit_code: 3 });
      }, 60_000);

      test(`${name}: the agent is not the command's user, and the command cannot open, trace or signal it`, async () => {
        const probe = [
          "const fs = require('fs');",
          "const status = fs.readFileSync('/proc/1/status', 'utf8');",
          'const uid = (re) => Number((status.match(re) || [])[1]);',
          'const tries = {};',
          "for (const what of ['fd/0', 'fd/1', 'fd/2', 'mem']) { try { fs.closeSync(fs.openSync('/proc/1/' + what, 'r')); tries[what] = 'opened'; } catch (e) { tries[what] = e.code; } }",
          "try { process.kill(1, 'SIGTERM'); tries.kill = 'sent'; } catch (e) { tries.kill = e.code; }",
          'console.log(JSON.stringify({ agentUid: uid(/^Uid:\\s+(\\d+)/m), commandUid: process.getuid(), tries }));',
        ].join('\n');
        const { result } = await pool.run(['node', '-e', probe], { timeoutMs: 30_000 });
        expect(result.outcome).toBe('success');
        const seen = JSON.parse(result.stdout) as { agentUid: number; commandUid: number; tries: Record<string, string> };
        expect(seen.commandUid).not.toBe(0);
        expect(seen.agentUid).not.toBe(seen.commandUid);
        for (const what of ['fd/0', 'fd/1', 'fd/2', 'mem']) expect([what, seen.tries[what]]).toEqual([what, 'EACCES']);
        expect(seen.tries.kill).toBe('EPERM');
      }, 60_000);
    },
    { optional },
  );
}
