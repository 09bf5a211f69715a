import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../support/e2e';
import { toolMissing } from '../support/runners';
import { tempDir } from '../support/tempDir';

/*
 * scripts/large-builds/sandbox-view.js (issue 26, bubblewrap on tsc): what node sees and does inside
 * bubblewrap against none, and paired rounds of the exact command lines. Real runs of the built CLI.
 * Besides the script's shape, this holds what the investigation found: inside bubblewrap node sizes
 * itself by the same machine (CPUs, parallelism, V8's heap limit) as on none.
 */
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/large-builds/sandbox-view.js');
const built = fs.existsSync(path.join(ROOT, 'dist/cli/main.js')) ? false : 'dist/ is missing (run: npm run build)';
const missing = built || toolMissing('bwrap') || toolMissing('strace') || (process.getuid?.() === 0 ? false : 'not root');

function keptRoots(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('sandbox-perf-kept-'));
}

let dir: string;
beforeAll(() => {
  dir = tempDir('sandbox-view');
  // The sandbox user (65534) must be able to enter it.
  fs.chmodSync(dir, 0o755);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeWhen('sandbox-view.js', missing, 'npm run build; apt-get install bubblewrap strace; run as root', () => {
  test('node sees the same machine in bubblewrap; calls and paired rounds are printed; nothing is left behind', async () => {
    const before = keptRoots();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [SCRIPT, dir, '--rounds', '2', '--clean', 'rm -f made.txt', '--', 'node', '-e', "require('fs').writeFileSync('made.txt', 'x')"],
        { cwd: dir, timeout: 240_000, maxBuffer: 1 << 24 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out).toContain('## What node sees (none | bubblewrap)');
    // Unmarked: the same value on both backends.
    for (const same of ['cpus', 'availableParallelism', 'heapSizeLimit', 'totalmem', 'threads']) {
      expect(out).toMatch(new RegExp(`^  ${same}: \\S+$`, 'm'));
    }
    expect(out).toMatch(/^\* uid: 0 \| 65534$/m);
    expect(out).toMatch(/^## System calls \(strace -f -c inside each\): \d+ on none, \d+ on bubblewrap/m);
    expect(out).toMatch(/^## 2 paired rounds, the order rotated/m);
    for (const variant of ['none, setsid', 'bubblewrap', 'bubblewrap without --new-session']) {
      expect(out).toMatch(new RegExp(`^  ${variant}: wall median \\d+, CPU median \\d+; in command [+-]\\d`, 'm'));
    }
    expect(keptRoots()).toEqual(before);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.sandbox-view'))).toEqual([]);
  }, 300_000);
});
