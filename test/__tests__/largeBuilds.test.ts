import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../support/e2e';
import { dockerMissing, INSTALL_DOCKER, toolMissing } from '../support/runners';
import { sandboxDir } from '../support/tempDir';

/*
 * The real builds of docs/large-projects.md at their smallest sizes: scripts/large-builds/prepare.js
 * lays them out, each runs through the built CLI on the backends present (the Docker ones in the
 * toolchain image, .ci/build-toolchain-image.sh), and per-action.js produces its table.
 */
const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const TOOLCHAIN = 'sandbox-perf/toolchain:local';
const built = fs.existsSync(CLI) ? false : `${CLI} is missing (run: npm run build)`;

function toolchainMissing(): string | false {
  const docker = dockerMissing();
  if (docker) return docker;
  try {
    execFileSync('docker', ['image', 'inspect', TOOLCHAIN], { stdio: 'ignore' });
    return false;
  } catch {
    return `image ${TOOLCHAIN} is not built`;
  }
}

interface Build {
  command: string;
  cwd: string;
  clean: string;
  sizes: number[];
}

let dir: string;
let builds: Record<'tsc' | 'c' | 'npm', Build>;
beforeAll(() => {
  dir = sandboxDir('large');
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, 'scripts/large-builds/prepare.js'), dir, 'tsc,c,npm', '--copies', '1,2', '--npm-sets', '1'],
    {
      encoding: 'utf8',
    },
  );
  builds = JSON.parse(out) as typeof builds;
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env }, timeout: 600_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** One run of a build's smallest size on `backend` through `sandbox-perf run`. */
async function buildOn(name: keyof typeof builds, backend: string): Promise<void> {
  const b = builds[name];
  const size = String(b.sizes[0]);
  const cwd = path.join(dir, b.cwd.replace('{size}', size));
  execFileSync('sh', ['-c', b.clean.replaceAll('{size}', size)], { cwd });
  const words = b.command.replaceAll('{size}', size).split(' ');
  const r = await run([CLI, 'run', '--sandbox', backend, '--db', `${dir}-${backend}.db`, '--', ...words], cwd, {
    SANDBOX_PERF_DOCKER_IMAGE: TOOLCHAIN,
  });
  expect({ backend, build: name, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({
    backend,
    build: name,
    code: 0,
    stderr: '',
  });
}

test('prepare.js lays out each build at each size: lockfiles named by their number of packages', () => {
  expect(builds.tsc.sizes).toEqual([1, 2]);
  expect(fs.existsSync(path.join(dir, 'tsc/tsconfig.2.json'))).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'c/actions.2.txt'), 'utf8').trim().split('\n')).toHaveLength(2 * 19);
  const [packages] = builds.npm.sizes;
  const lock = JSON.parse(fs.readFileSync(path.join(dir, `npm/${packages}/package-lock.json`), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  expect(Object.keys(lock.packages).length - 1).toBe(packages);
  expect(lock.packages['node_modules/prom-client']).toBeDefined();
});

describeWhen('the real builds on the host backends', built || toolMissing('bwrap'), 'bash .ci/docker-up.sh (installs bubblewrap)', () => {
  jest.setTimeout(600_000);
  test.each(['none', 'bubblewrap'])('tsc, make and npm ci succeed on %s', async (backend) => {
    for (const name of ['tsc', 'c', 'npm'] as const) await buildOn(name, backend);
    expect(fs.existsSync(path.join(dir, 'c/copy1/obj/list_cpu_features'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'tsc/out1/copy1/trace-mapping/src/trace-mapping.js'))).toBe(true);
  });

  test('per-action.js: the build in one sandbox against each action in its own, with the break-even', async () => {
    const json = path.join(dir, 'per-action.json');
    const r = await run(
      [
        path.join(ROOT, 'scripts/large-builds/per-action.js'),
        path.join(dir, 'c'),
        '--sandbox',
        'none,bubblewrap',
        // Its smallest build (the first 2 and 4 compiler calls, no warm-up round): 24 compiler runs per backend where
        // --copies 1,2 with the warm-up round ran 342; the docs' table keeps the larger sizes.
        '--actions',
        '2,4',
        '--rounds',
        '2',
        '--warmup',
        '0',
        '--json',
        json,
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('C build: cpu_features, 2, 4 actions; 2 rounds');
    // F, g, c₀ and f, each with its interval (c₀ was left out before: the break-even could not be recomputed from the table).
    expect(r.stdout).toContain('| break-even n* = (F − c₀) / (f − g) |');
    expect(r.stdout).toMatch(/\n\| bubblewrap(?: \| -?\d+\.\d \[-?\d+\.\d … -?\d+\.\d\]){4} \| (never|\d+\.\d) \| -?\d+ % \|\n/);
    const data = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      rounds: { backend: string; sizes: { actions: number; wholeMs: number[] }[] }[];
    };
    expect(data.rounds.map((b) => b.backend)).toEqual(['none', 'bubblewrap']);
    expect(data.rounds[1]?.sizes.map((s) => [s.actions, s.wholeMs.length])).toEqual([
      [2, 2],
      [4, 2],
    ]);
  });
});

describeWhen(
  'the real builds in the toolchain image',
  built || toolchainMissing(),
  `${INSTALL_DOCKER}, .ci/build-toolchain-image.sh`,
  () => {
    jest.setTimeout(600_000);
    test('tsc, make and npm ci succeed on docker', async () => {
      for (const name of ['tsc', 'c', 'npm'] as const) await buildOn(name, 'docker');
    });
  },
);
