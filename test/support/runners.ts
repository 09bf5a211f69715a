import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SandboxPerfMonitor } from '../../src/sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../../src/state/StateDatabase';
import { DEFAULT_DOCKER_IMAGE, defaultDockerSocket } from '../../src/runners/options';
import { createBackend } from '../../src/runners/createBackend';
import type { BackendName, SandboxBackend, SandboxOptions } from '../../src/runners/types';

/**
 * Synchronous probes for describeWhen (it decides while the file loads): the reason a part is
 * missing, or false. The library's own detection (detectBackends) is asynchronous and tested apart.
 */
export function toolMissing(binary: string): string | false {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0 ? false : `${binary} is not installed`;
}

export function gvisorMissing(): string | false {
  const missing = toolMissing('runsc');
  if (missing) return missing;
  const probe = spawnSync('runsc', ['-ignore-cgroups', '-network=none', 'do', 'true'], {
    timeout: 30_000,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return probe.status === 0
    ? false
    : `runsc cannot start a sandbox on this kernel: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
}

export const dockerImage = process.env.SANDBOX_PERF_DOCKER_IMAGE ?? DEFAULT_DOCKER_IMAGE;

export function dockerMissing(): string | false {
  const socket = defaultDockerSocket();
  const script = `
    const http = require('node:http');
    const get = (p) => new Promise((resolve) => {
      const req = http.get({ socketPath: ${JSON.stringify(socket)}, path: p, timeout: 3000 }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', () => resolve(0)); req.on('timeout', () => { req.destroy(); resolve(0); });
    });
    (async () => console.log(await get('/_ping'), await get('/images/' + encodeURIComponent(${JSON.stringify(dockerImage)}) + '/json')))();`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 }).stdout.trim();
  const [ping, image] = out.split(' ');
  if (ping !== '200') return `no Docker engine answers at ${socket}`;
  if (image !== '200') return `image ${dockerImage} is not built`;
  return false;
}

export const INSTALL_DOCKER = '.ci/docker-up.sh (apt-get install docker.io && dockerd &, then .ci/build-image.sh)';

/** Why gvisor-pool cannot run here (no engine, or no runsc runtime registered in it), or false. */
export function runscRuntimeMissing(): string | false {
  const docker = dockerMissing();
  if (docker) return docker;
  const info = spawnSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8', timeout: 10_000 });
  if (!info.stdout.includes('"runsc"')) return 'the Docker engine has no runsc runtime';
  const probe = spawnSync(
    'docker',
    ['run', '--rm', '--runtime', 'runsc', '--network', 'none', process.env.SANDBOX_PERF_DOCKER_IMAGE ?? 'sandbox-perf/node:local', 'true'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return probe.status === 0
    ? false
    : `runsc cannot start a container here: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
}

/**
 * Why runc-pool cannot run here (not root, neither crun nor runc, or no engine and image to export
 * its root from), or false. Which of the two runs is the product's choice (runc/ociRuntime.ts).
 */
export function runcMissing(): string | false {
  if (process.getuid?.() !== 0) return 'runc-pool needs root';
  const runc = toolMissing(process.env.SANDBOX_PERF_RUNC || 'runc');
  if (runc && toolMissing(process.env.SANDBOX_PERF_CRUN || 'crun')) return runc;
  return dockerMissing();
}

export const INSTALL_RUNC =
  'apt-get install runc crun (.ci/docker-up.sh, .ci/e2e-deps.sh; docker-up also builds the image runc-pool exports its root from)';

export const INSTALL_RUNSC = '.ci/docker-up.sh (apt-get install runsc, registered as a Docker runtime)';

/** Processes whose command line contains `marker` (the ps and grep of this check excluded). */
export function processesMatching(marker: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => line.includes(marker));
}

/** A unique duration for `sleep`, so that ps can find exactly this test's processes. */
export function uniqueSleep(): string {
  return `${300 + Math.floor(Math.random() * 600)}.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

/** A monitor writing to a real temporary SQLite file, and a reader for what landed there. */
export function tempRecording(): {
  dir: string;
  monitor: SandboxPerfMonitor;
  db: StateDatabase;
  rows(sandboxId: string): {
    record: Record<string, unknown> | undefined;
    details: Record<string, unknown> | undefined;
    phases: Record<string, number>;
  };
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runners-'));
  // Containers run as nobody when the working directory is root's (containerSpec's containerUser):
  // like a build checkout shared with the sandbox, it is open to them.
  fs.chmodSync(dir, 0o777);
  const db = new StateDatabase({ path: path.join(dir, 'state.db'), handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: db });
  return {
    dir,
    monitor,
    db,
    rows(sandboxId) {
      const reader = new Database(db.path, { readonly: true });
      try {
        const record = reader.prepare('SELECT * FROM sandbox_perf_records WHERE sandbox_id = ?').get(sandboxId) as
          Record<string, unknown> | undefined;
        const details = record
          ? (reader.prepare('SELECT * FROM sandbox_run_details WHERE record_id = ?').get(record.id) as Record<string, unknown> | undefined)
          : undefined;
        const phaseRows = record
          ? (reader.prepare('SELECT phase, duration_ms FROM sandbox_run_phases WHERE record_id = ?').all(record.id) as {
              phase: string;
              duration_ms: number;
            }[])
          : [];
        return { record, details, phases: Object.fromEntries(phaseRows.map((r) => [r.phase, r.duration_ms])) };
      } finally {
        reader.close();
      }
    },
  };
}

/** The command every backend test runs first: output on both streams and exit code 3. */
export const EXIT_3_COMMAND: readonly string[] = ['sh', '-c', 'echo out; echo err >&2; exit 3'];

/** What every backend must report for EXIT_3_COMMAND: both streams, the code, no signal, the error line. */
export function exit3Result(backend: string): Record<string, unknown> {
  return { backend, outcome: 'error', exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', error: 'exited with code 3' };
}

/**
 * A backend prepared before the enclosing describe block's tests and torn down after them (a
 * Docker backend's start and teardown take minutes on a loaded machine): call it in the block's
 * body, and `backend()` in its tests.
 */
export function preparedBackend(name: BackendName, options: SandboxOptions): () => SandboxBackend {
  let backend: SandboxBackend | undefined;
  beforeAll(async () => {
    backend = createBackend(name, options);
    await backend.prepare();
  }, 120_000);
  afterAll(() => backend?.teardown(), 60_000);
  return () => {
    if (backend === undefined) throw new Error(`${name} was not prepared`);
    return backend;
  };
}
