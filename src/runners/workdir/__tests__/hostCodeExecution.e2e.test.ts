/**
 * Issue 23, finding 2: a run could rewrite files the host executes later (this package's
 * dist/cli/main.js under node_modules, .git/hooks) through the working directory. Each backend and
 * mode plays the attacker: the cells of the row "can the run change files the host executes later"
 * of the guarantee table in docs/runners.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import {
  dockerMissing,
  gvisorMissing,
  INSTALL_DOCKER,
  INSTALL_RUNC,
  INSTALL_RUNSC,
  runcMissing,
  runscRuntimeMissing,
  toolMissing,
} from '../../../../test/support/runners';
import { createBackend } from '../../createBackend';
import type { BackendName, SandboxOptions, SandboxResult } from '../../types';
import { backendEntry } from '../../backendNames';
import type { WorkdirMode } from '../workdirOptions';

jest.setTimeout(180_000);

const HOST_CODE = ['node_modules/x/dist/cli/main.js', '.git/hooks/pre-commit'];
const ORIGINAL = '#!/usr/bin/env node\nrequire("./run");\n';
const root = process.getuid?.() === 0 ? false : 'not root (overlay and ro mount the view)';

const BACKENDS: { name: BackendName; missing: string | false; install: string; optional?: boolean }[] = [
  { name: 'none', missing: root, install: 'run the tests as root' },
  { name: 'unshare', missing: root || toolMissing('unshare'), install: 'apt-get install util-linux' },
  { name: 'bubblewrap', missing: root || toolMissing('bwrap'), install: 'apt-get install bubblewrap' },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true },
  { name: 'docker', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'docker-warm', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_RUNSC, optional: true },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC },
];

/**
 * The attack, as node (the image has no coreutils): overwrite the host's code, plant a kept output,
 * and symbolic links in and at kept paths (to a host secret, to the code). Prints what it saw.
 */
const attack = (secret: string) => `
  const fs = require('fs');
  const seen = {};
  for (const f of ${JSON.stringify(HOST_CODE)}) {
    try { fs.writeFileSync(f, 'require("child_process").execSync("id > /tmp/owned")\\n'); seen[f] = fs.readFileSync(f, 'utf8'); }
    catch (e) { seen[f] = e.code; }
  }
  try {
    fs.mkdirSync('out');
    fs.writeFileSync('out/result.txt', 'result\\n');
    fs.symlinkSync(${JSON.stringify(secret)}, 'out/leak');
    fs.symlinkSync('../node_modules/x/dist/cli', 'out/cli');
    fs.symlinkSync('node_modules/x/dist', 'dist');
  } catch (e) { seen.out = e.code; }
  try { fs.writeFileSync('mnt/planted', 'x'); seen.mnt = 'written'; } catch (e) { seen.mnt = e.code; }
  console.log(JSON.stringify(seen));`;

/** A fresh checkout (and a host secret beside it) per test, so that the tests can run side by side. */
interface Checkout {
  cwd: string;
  secret: string;
  /** With `submount`: the directory outside the checkout that is bound at its `mnt`. */
  outside?: string;
}
const checkouts: Checkout[] = [];
afterAll(() => {
  for (const { cwd, secret, outside } of checkouts) {
    if (outside !== undefined) {
      execFileSync('umount', [path.join(cwd, 'mnt')]);
      fs.rmSync(outside, { recursive: true, force: true });
    }
    fs.rmSync(cwd, { recursive: true, force: true });
    fs.rmSync(secret, { force: true });
  }
});

function checkout(submount = false): Checkout {
  // A root-owned checkout open to everyone (as tempRecording's), so that every backend's user
  // could write these files in rw mode: the door is the mode, not a permission.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-hostcode-'));
  for (const file of HOST_CODE) {
    fs.mkdirSync(path.join(cwd, path.dirname(file)), { recursive: true, mode: 0o777 });
    fs.writeFileSync(path.join(cwd, file), ORIGINAL, { mode: 0o777 });
  }
  for (const dir of ['.', 'node_modules', 'node_modules/x', 'node_modules/x/dist', 'node_modules/x/dist/cli', '.git', '.git/hooks']) {
    fs.chmodSync(path.join(cwd, dir), 0o777);
  }
  fs.chmodSync(path.join(cwd, HOST_CODE[0] as string), 0o666);
  fs.rmSync(path.join(cwd, HOST_CODE[1] as string));
  const secret = path.join(os.tmpdir(), `sandbox-perf-hostcode-secret-${process.pid}-${checkouts.length}`);
  fs.writeFileSync(secret, 'host secret\n', { mode: 0o644 });
  if (!submount) {
    checkouts.push({ cwd, secret });
    return { cwd, secret };
  }
  // A file system mounted below the working directory (as root, which these tests are where a mount is needed).
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-hostcode-outside-'));
  fs.chmodSync(outside, 0o777);
  fs.mkdirSync(path.join(cwd, 'mnt'));
  execFileSync('mount', ['--bind', outside, path.join(cwd, 'mnt')]);
  checkouts.push({ cwd, secret, outside });
  return { cwd, secret, outside };
}

async function attackIn(
  name: BackendName,
  workdir: WorkdirMode,
  keep?: string[],
  submount = false,
): Promise<{ result: SandboxResult; seen: Record<string, string>; cwd: string; outside?: string }> {
  const { cwd, secret, outside } = checkout(submount);
  const options: SandboxOptions = { cwd, workdir, ...(keep ? { keep } : {}), ...(name.endsWith('-pool') ? { pool: { size: 1 } } : {}) };
  const backend = createBackend(name, options);
  await backend.prepare();
  try {
    const result = await backend.run(['node', '-e', attack(secret)], { timeoutMs: 120_000 });
    const last = result.stdout.trim().split('\n').pop() ?? '';
    return { result, seen: (last.startsWith('{') ? JSON.parse(last) : {}) as Record<string, string>, cwd, ...(outside ? { outside } : {}) };
  } finally {
    await backend.teardown();
  }
}

const hostFile = (cwd: string, file: string) =>
  fs.existsSync(path.join(cwd, file)) ? fs.readFileSync(path.join(cwd, file), 'utf8') : null;
const untouched = (cwd: string) => {
  expect(hostFile(cwd, HOST_CODE[0] as string)).toBe(ORIGINAL);
  expect(hostFile(cwd, HOST_CODE[1] as string)).toBeNull();
};

// The tests run side by side (test.concurrent, jest's five at a time), each in its own checkout:
// most of each is a backend's prepare and teardown (a pool's container, gVisor's start).
for (const { name, missing, install, optional } of BACKENDS) {
  describeWhen(
    `workdir modes on ${name}`,
    missing,
    install,
    () => {
      const rw = backendEntry(name).rwReachesHost
        ? 'the run rewrites them (the door the other modes close)'
        : 'runsc do discards the writes';
      test.concurrent(`host code execution through files in the working directory: rw on ${name}: ${rw}`, async () => {
        const { result, seen, cwd } = await attackIn(name, 'rw');
        expect(result.outcome).toBe('success');
        if (!backendEntry(name).rwReachesHost) {
          untouched(cwd);
        } else {
          expect(seen[HOST_CODE[0] as string]).toMatch(/execSync/);
          expect(hostFile(cwd, HOST_CODE[0] as string)).toMatch(/execSync/);
          expect(hostFile(cwd, HOST_CODE[1] as string)).toMatch(/execSync/);
        }
      });

      test.concurrent(
        `host code execution through files in the working directory: overlay on ${name} leaves them unchanged, and the run sees its own writes`,
        async () => {
          const { result, seen, cwd } = await attackIn(name, 'overlay');
          expect(result.outcome).toBe('success');
          for (const file of HOST_CODE) expect(seen[file]).toMatch(/execSync/);
          untouched(cwd);
          expect(fs.existsSync(path.join(cwd, 'out'))).toBe(false);
        },
      );

      test.concurrent(
        `host code execution through files in the working directory: ro on ${name} leaves them unchanged, and a file system mounted below it too`,
        async () => {
          const { result, seen, cwd, outside } = await attackIn(name, 'ro', undefined, process.getuid?.() === 0);
          expect(result.outcome).toBe('success');
          // gVisor's memory overlay takes the writes (and discards them); elsewhere they are refused.
          if (name !== 'gvisor') for (const file of HOST_CODE) expect(seen[file]).toBe('EROFS');
          untouched(cwd);
          // Before: Docker's `:ro` bind and runc's rbind made only the top read-only; a write below a mount in it landed.
          if (outside !== undefined) {
            // gVisor's pool sees the mount point's own (root's) directory without what is mounted on it: EACCES.
            if (name !== 'gvisor') expect(['EROFS', 'EACCES']).toContain(seen.mnt);
            expect(fs.readdirSync(outside)).toEqual([]);
          }
        },
      );

      if (name === 'gvisor') {
        test.concurrent('host code execution through files in the working directory: keep on gvisor is refused, naming why', async () => {
          await expect(attackIn(name, 'overlay', ['out'])).rejects.toThrow(/`keep` to be empty on gvisor: runsc do keeps every write/);
        });
        return;
      }

      test.concurrent(
        `host code execution through files in the working directory: overlay --keep on ${name} copies back only the declared output, and no symbolic link the run planted is followed`,
        async () => {
          const { result, cwd } = await attackIn(name, 'overlay', ['out', 'dist/cli/main.js']);
          expect(result.outcome).toBe('success');
          untouched(cwd);
          expect(fs.readdirSync(path.join(cwd, 'out'))).toEqual(['result.txt']);
          expect(fs.readFileSync(path.join(cwd, 'out/result.txt'), 'utf8')).toBe('result\n');
          expect(fs.existsSync(path.join(cwd, 'dist'))).toBe(false);
          expect(result.kept?.files).toBe(1);
          expect(result.kept?.skipped.map((s) => s.path).sort()).toEqual(['dist', 'out/cli', 'out/leak']);
          expect(result.phases).toHaveProperty('keep');
        },
      );
    },
    { optional },
  );
}
