import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';

/**
 * The state of the machine a comparison ran on, recorded with it so that a history never mixes
 * a quiet machine with a loaded one, or two kernels, without saying so. Every probe is a file
 * read or one local request with a short timeout; a probe that fails gives null, never an error.
 * Sources: /proc and /sys (cpufreq, intel_pstate, smt, transparent_hugepage), os.loadavg(), the
 * Docker Engine's /info over its socket, `runsc --version`.
 */
export interface MachineFingerprint {
  kernel: string;
  cpuModel: string;
  cores: number;
  /** scaling_governor of cpu0 (e.g. `performance`, `powersave`); null without cpufreq (VMs). */
  governor: string | null;
  /** Turbo/boost on? From intel_pstate/no_turbo or cpufreq/boost; null when neither exists. */
  turbo: boolean | null;
  /** SMT control (`on`, `off`, `forceoff`, `notsupported`, …); null when unknown. */
  smt: string | null;
  /** The selected transparent huge pages mode (`always`, `madvise`, `never`). */
  transparentHugePages: string | null;
  /** 1, 5 and 15 minute load averages when the comparison started. */
  loadAverage: [number, number, number];
  cgroupVersion: 1 | 2 | null;
  docker: { version: string; storageDriver: string; defaultRuntime: string; runtimes: string[] } | null;
  /** runsc's version line and the platform it runs with (`--platform=` of the Docker runtime, else runsc's default). */
  gvisor: { version: string; platform: string } | null;
  node: string;
  sandboxPerf: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** `always [madvise] never` → `madvise`. */
export function selectedMode(text: string | null): string | null {
  if (text === null) return null;
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text;
}

function turbo(): boolean | null {
  const noTurbo = readText('/sys/devices/system/cpu/intel_pstate/no_turbo');
  if (noTurbo !== null) return noTurbo === '0';
  const boost = readText('/sys/devices/system/cpu/cpufreq/boost');
  return boost === null ? null : boost === '1';
}

function cgroupVersion(): 1 | 2 | null {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return 2;
  return fs.existsSync('/sys/fs/cgroup') ? 1 : null;
}

interface DockerInfo {
  ServerVersion?: string;
  Driver?: string;
  DefaultRuntime?: string;
  Runtimes?: Record<string, { runtimeArgs?: string[] }>;
}

function dockerInfo(socketPath: string, timeoutMs: number): Promise<DockerInfo | null> {
  if (!fs.existsSync(socketPath)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/info', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        // The engine's /info is a few KB; anything much larger is not it.
        if (body.length < 1_000_000) body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? (JSON.parse(body) as DockerInfo) : null);
        } catch {
          resolve(null);
        }
      });
      response.on('error', () => resolve(null));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

function runscVersion(timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('runsc', ['--version'], { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (error, stdout) => {
      resolve(error ? null : (stdout.split('\n')[0]?.trim() ?? null));
    });
  });
}

function dockerSocketPath(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/**
 * The fields read from /proc, /sys and `os` alone (a few file reads, no process, no socket):
 * what the history writer stores with each run, once per process. `docker` and `gvisor` are
 * null here: "not probed", not "absent".
 */
export function hostFingerprint(sandboxPerfVersion: string): MachineFingerprint {
  const [one, five, fifteen] = os.loadavg();
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    governor: readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
    turbo: turbo(),
    smt: readText('/sys/devices/system/cpu/smt/control'),
    transparentHugePages: selectedMode(readText('/sys/kernel/mm/transparent_hugepage/enabled')),
    loadAverage: [one ?? 0, five ?? 0, fifteen ?? 0],
    cgroupVersion: cgroupVersion(),
    docker: null,
    gvisor: null,
    node: process.version,
    sandboxPerf: sandboxPerfVersion,
  };
}

/**
 * The fingerprint of this machine now (about 10-50 ms: a few file reads, one engine request,
 * `runsc --version`). `sandboxPerfVersion` comes from the caller (the CLI knows its package).
 */
export async function machineFingerprint(
  sandboxPerfVersion: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 2000,
): Promise<MachineFingerprint> {
  const [info, runsc] = await Promise.all([dockerInfo(dockerSocketPath(env), timeoutMs), runscVersion(timeoutMs)]);
  const runscArgs = info?.Runtimes?.runsc?.runtimeArgs ?? [];
  const platformArg = runscArgs.find((a) => /^--?platform=/.test(a));
  return {
    ...hostFingerprint(sandboxPerfVersion),
    docker: info
      ? {
          version: info.ServerVersion ?? 'unknown',
          storageDriver: info.Driver ?? 'unknown',
          defaultRuntime: info.DefaultRuntime ?? 'unknown',
          runtimes: Object.keys(info.Runtimes ?? {}).sort(),
        }
      : null,
    gvisor: runsc ? { version: runsc, platform: platformArg ? (platformArg.split('=')[1] ?? 'default') : 'default' } : null,
  };
}
