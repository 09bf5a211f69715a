import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../support/e2e';
import { toolMissing } from '../support/runners';
import { sandboxDir } from '../support/tempDir';

/*
 * scripts/large-builds/baseline-view.js (issue 26, docker predicted ~40 % high on tsc and the C
 * build): none's own command against variants of it and the sandboxes, in balanced rounds with the
 * clean command before every run. Real runs through the built library. The variants must be what
 * they say: each run records its own pids cgroup, and only `none-nogroup` runs outside the group
 * `none` joins.
 */
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/large-builds/baseline-view.js');
const built = fs.existsSync(path.join(ROOT, 'dist/runners/createBackend.js')) ? false : 'dist/ is missing (run: npm run build)';
const pidsV1 = fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs') ? false : 'no cgroup v1 pids hierarchy';
const missing = built || toolMissing('bwrap') || pidsV1 || (process.getuid?.() === 0 ? false : 'not root');

let dir: string;
beforeAll(() => {
  dir = sandboxDir('baseline-view');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeWhen('baseline-view.js', missing, 'npm run build; apt-get install bubblewrap; run as root with cgroup v1', () => {
  test('each variant runs as it says, every round; the paired differences and the runs are written', async () => {
    const VARIANTS = ['none', 'none-nogroup', 'none-launcher', 'none-settle', 'bubblewrap'];
    // Written by every run, sandboxed ones included (uid 65534 may append, not create).
    const seen = path.join(dir, 'seen.txt');
    fs.writeFileSync(seen, '');
    fs.chmodSync(seen, 0o666);
    const out = path.join(dir, 'runs.json');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          SCRIPT,
          dir,
          VARIANTS.join(','),
          '--rounds',
          '2',
          '--settle',
          '10',
          '--clean',
          'echo clean >> seen.txt',
          '--out',
          out,
          '--',
          'sh',
          '-c',
          "grep ':pids:' /proc/self/cgroup >> seen.txt",
        ],
        { cwd: dir, timeout: 120_000 },
        (error, text, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(text)),
      );
    });
    expect(stdout).toMatch(/^## 2 rounds, Williams order, clean "echo clean >> seen.txt", load \d/m);
    expect(stdout).toMatch(/^ {2}none {11}wall \d+, CPU \d+ \(user \d+, system \d+\)$/m);
    for (const variant of VARIANTS.slice(1)) {
      expect(stdout).toMatch(new RegExp(`^  ${variant} +wall \\d+, CPU \\d+ .*; against none: wall [+-]\\d`, 'm'));
    }
    const runs = JSON.parse(fs.readFileSync(out, 'utf8')) as { variants: string[]; runs: { wallMs: number }[][] };
    expect(runs.variants).toEqual(VARIANTS);
    for (const r of runs.runs) expect(r).toHaveLength(2);

    // A warm-up run and 2 timed runs of each variant, each right after its clean command.
    const lines = fs.readFileSync(seen, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * 3 * VARIANTS.length);
    for (let i = 0; i < lines.length; i += 2) expect(lines[i]).toBe('clean');
    const groups = lines.filter((_, i) => i % 2 === 1);
    // none, none-launcher and none-settle in a run's pids group of the package; none-nogroup and
    // bubblewrap (its own PID namespace holds its tasks) in the runner's.
    expect(groups.filter((line) => /:pids:\/sandbox-perf\/run-/.test(line))).toHaveLength(3 * 3);
  }, 180_000);
});
