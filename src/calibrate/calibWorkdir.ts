import fs from 'node:fs';
import path from 'node:path';
import { nativeProgram } from '../nativeProgram';
import { makeTempDir } from '../runners/inFlightRuns';

export const CALIB_FILE = nativeProgram('sandbox-perf-calib');

/** The program's name in the working directory: every backend runs it as `./sandbox-perf-calib`. */
export const CALIB_PROGRAM = './sandbox-perf-calib';

/** How many files the stat and open workloads walk (native/calib.c's FILES). */
const FILES = 1000;

/** Each workdir's remover: SIGINT/SIGTERM/SIGHUP remove it too (2 000 files, 6 MB), the process dying without its `finally`. */
const removers = new Map<string, () => void>();

/** The calibration program, or an error that says how to get it. */
export function assertCalibProgram(file = CALIB_FILE): string {
  if (!fs.existsSync(file)) {
    throw new Error(
      `the calibration workloads are not built (${file} is missing): run 'node native/build.js' in the package (it needs a C compiler)`,
    );
  }
  return file;
}

/**
 * A fresh working directory that every backend binds into its sandbox, holding what the workloads
 * need: the static program, files/f0 … f999 (stat, open), data.bin (1 MiB, read), and scratch/
 * (create, write) and left/ (leave), writable by the sandbox's user. 0755 so that the sandbox user
 * (65534) may enter. Removed by removeCalibWorkdir, or by the signal that stops the process.
 */
export function makeCalibWorkdir(program = assertCalibProgram()): string {
  const { dir, remove } = makeTempDir('sandbox-perf-calibrate-');
  removers.set(dir, remove);
  fs.chmodSync(dir, 0o755);
  fs.copyFileSync(program, path.join(dir, CALIB_PROGRAM));
  fs.chmodSync(path.join(dir, CALIB_PROGRAM), 0o755);
  const files = path.join(dir, 'files');
  fs.mkdirSync(files, { mode: 0o755 });
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(files, `f${i}`), '', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(1024 * 1024, 'x'), { mode: 0o644 });
  for (const name of ['scratch', 'left']) {
    fs.mkdirSync(path.join(dir, name));
    // mkdir's mode is masked by the umask: set it afterwards.
    fs.chmodSync(path.join(dir, name), 0o777);
  }
  return dir;
}

/** Removes what a `leave` run left in left/ (its files, whoever wrote them). */
export function emptyLeftDir(dir: string): void {
  const left = path.join(dir, 'left');
  for (const name of fs.readdirSync(left)) fs.rmSync(path.join(left, name), { recursive: true, force: true });
}

export function removeCalibWorkdir(dir: string): void {
  const remove = removers.get(dir) ?? (() => fs.rmSync(dir, { recursive: true, force: true }));
  removers.delete(dir);
  remove();
}
