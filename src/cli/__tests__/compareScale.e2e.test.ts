import fs from 'node:fs';
import path from 'node:path';
import { besidesSweep, describeWhen } from '../../../test/support/e2e';
import { dockerMissing, gvisorMissing, INSTALL_DOCKER, toolMissing } from '../../../test/support/runners';
import type { ScalingResult } from '../../compare/scaling';
import { cli, CLI, cliBuilt } from './support/cli';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * compare --scale through the built CLI on the backends present: a real workload whose work grows
 * with {size} (a shell loop), three sizes, a line per backend and its extrapolation in the text and
 * in --export-json's "scaling".
 */
const built = cliBuilt ? false : `${CLI} is missing (run: npm run build)`;
let dir: string;
beforeEach(() => {
  dir = sandboxDir('scale');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const LOOP = 'i=0; while [ $i -lt {size}000 ]; do i=$((i+1)); done';

async function scaled(backends: string): Promise<{ stdout: string; json: { workloads: unknown[]; scaling: ScalingResult } }> {
  const out = path.join(dir, 'scale.json');
  const db = `${dir}-history.db`;
  const r = await cli(
    [
      'compare',
      '--sandbox',
      backends,
      '--scale',
      '1,2,4',
      '--at',
      '1000',
      '-r',
      '3',
      '-w',
      '0',
      '--db',
      db,
      '--export-json',
      out,
      '--shell',
      '--',
      LOOP,
    ],
    dir,
    { timeoutMs: 300_000 },
  );
  fs.rmSync(db, { force: true });
  // Nothing on stderr but, possibly, the host backends' sweep line (test/support/e2e.ts).
  expect(besidesSweep(r.stderr)).toBe('');
  expect(r.code).toBe(0);
  return { stdout: r.stdout, json: JSON.parse(fs.readFileSync(out, 'utf8')) as { workloads: unknown[]; scaling: ScalingResult } };
}

function expectFitted(scaling: ScalingResult, backends: string[]): void {
  expect(scaling.parameter).toBe('size');
  expect(scaling.sizes).toEqual([1, 2, 4]);
  expect(scaling.at).toBe(1000);
  expect(scaling.backends.map((b) => b.backend)).toEqual(backends);
  for (const b of scaling.backends) {
    expect(b.perSize.map((p) => [p.size, p.count])).toEqual([
      [1, 3],
      [2, 3],
      [4, 3],
    ]);
    expect(b.measure).toBe(b.backend === 'none' ? 'duration' : 'isolation');
    expect(b.fixedMs?.low).toBeLessThanOrEqual(b.fixedMs?.high ?? Number.NaN);
    expect(b.atMs?.estimate).toBeCloseTo((b.fixedMs?.estimate ?? 0) + 1000 * (b.perUnitMs?.estimate ?? 0), 6);
  }
  // The loop's own time grows with the size: none's slope is positive.
  expect(scaling.backends[0]?.perUnitMs?.estimate).toBeGreaterThan(0);
}

const hostMissing = built || toolMissing('unshare') || toolMissing('bwrap');
describeWhen('compare --scale on the host backends', hostMissing, 'bash .ci/docker-up.sh (installs bubblewrap)', () => {
  jest.setTimeout(300_000);
  test('fits a line per backend, prints it and the extrapolation, exports "scaling"', async () => {
    const backends = ['none', 'unshare', 'bubblewrap', ...(gvisorMissing() ? [] : ['gvisor'])];
    const { stdout, json } = await scaled(backends.join(','));
    expect(json.workloads).toHaveLength(3);
    expectFitted(json.scaling, backends);
    expect(stdout).toContain('Scaling with size (1, 2, 4): cost = a + b·size');
    expect(stdout).toMatch(/\n {2}bubblewrap {2}isolation \(− none\) +a [+-]/);
    expect(stdout).toMatch(/At 1 000 size:\n {2}none +runs in /);
  });
});

describeWhen('compare --scale on docker', built || dockerMissing(), INSTALL_DOCKER, () => {
  jest.setTimeout(300_000);
  test('fits docker against none', async () => {
    const { json } = await scaled('none,docker');
    expectFitted(json.scaling, ['none', 'docker']);
    // A container's start is in every run: docker's isolation cost at each size is far above the
    // loop's own cost per size. (Not the fitted intercept: with 3 runs at 3 sizes, docker's run-to-run
    // spread at a load of 5 put it at -85 ms once, although each size's mean was a container start.)
    for (const p of json.scaling.backends[1]?.perSize ?? []) expect(p.meanMs).toBeGreaterThan(50);
  });
});

describeWhen('compare --scale usage', built, 'npm run build', () => {
  test.each([
    [['--at', '10'], /--at goes with --scale SIZES/],
    [['--scale-name', 'files'], /--scale-name goes with --scale SIZES/],
    [['--scale', '1,x'], /Expected `--scale` to be sizes as decimal numbers >= 0, got `"x"`/],
    [['--scale', '2,2'], /Expected `--scale` to be at least two different sizes to fit a line through, got `"2,2"`/],
    [['--scale', '1,2', '-L', 'n', '1,2'], /--scale is a parameter list of its own: it cannot be combined with -P or -L/],
    [['--scale', '1,2', '--scale-name', 'a b'], /Expected `--scale-name` to be a name of letters, digits, _ or -, got `"a b"`/],
    [['--scale', '1,2', '--at', `1${'0'.repeat(30)}`], /Expected `--at` to be a decimal number from 0 to 9007199254740991, got `"10{30}"`/],
    // Before: accepted (fitted at 1e+23), run as 1,2, and fitted through identical workloads.
    [['--scale', '0,99999999999999999999999'], /Expected `--scale` to be sizes as decimal numbers from 0 to 9007199254740991/],
    [['--scale', '1,,2'], /Expected `--scale` to be comma-separated sizes with none empty, got `"1,,2"`/],
    [['--scale', '1,2'], /--scale sizes replace \{size\} in the command or its hooks, and neither has it/],
  ])('%j is refused before any run', async (flags, message) => {
    const r = await cli(['compare', '--sandbox', 'none', ...flags, '--', 'true'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
