import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { log } from '../../log';
import { encodeKill, encodeRun, FrameReader, parseDone, type SpawnerDone, type SpawnRequest } from './spawnerProtocol';
import { nativeProgram } from '../../nativeProgram';

/**
 * The runner's side of the C spawner (native/spawner.c, built at install by native/build.js): one
 * process per runner, started when the first host backend is prepared and ended when the last is
 * torn down (or when this process exits: its end of file on the spawner's input). Every host run
 * goes through it, so that the run is started and timed by a small C process, not by a fork of
 * this one on its event loop.
 */

export const SPAWNER_FILE = nativeProgram('sandbox-perf-spawner');

let resolved: { path: string | null; why: string } | undefined;

/** The spawner's path, or null (with why) when runs are started from Node. Checked once per process. */
export function spawnerStatus(): { path: string | null; why: string } {
  if (resolved) return resolved;
  const setting = process.env.SANDBOX_PERF_SPAWNER;
  if (setting === 'off') {
    resolved = { path: null, why: 'SANDBOX_PERF_SPAWNER=off' };
  } else {
    const file = setting !== undefined && setting !== '' ? path.resolve(setting) : SPAWNER_FILE;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      resolved = { path: file, why: `C spawner at ${file}` };
    } catch {
      resolved = { path: null, why: `no spawner at ${file} (no C compiler at install; install one, then: npm rebuild sandbox-perf)` };
    }
  }
  return resolved;
}

/** For tests: forget what was found. */
export function resetSpawnerStatus(): void {
  resolved = undefined;
}

/** What a run receives while it runs. */
export type ChunkListener = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

interface PendingRun {
  onChunk: ChunkListener;
  resolve(done: SpawnerDone): void;
  reject(error: Error): void;
}

/** One spawner process. */
export class Spawner {
  private readonly reader = new FrameReader();
  private readonly runs = new Map<number, PendingRun>();
  private nextId = 1;
  private gone: Error | null = null;
  /** Settles at its hello (it can run here) or its exit before. */
  private readonly ready: Promise<void>;
  private hello: (() => void) | undefined;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    let said = '';
    child.stderr.on('data', (chunk: Buffer) => {
      said = (said + chunk.toString('utf8')).slice(-4096);
      for (let newline = said.indexOf('\n'); newline >= 0; newline = said.indexOf('\n')) {
        log(said.slice(0, newline));
        said = said.slice(newline + 1);
      }
    });
    // Its input closing early (it died) must not throw in this process: the exit says why.
    child.stdin.on('error', () => undefined);
    let failed: (error: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      this.hello = resolve;
      failed = reject;
    });
    child.once('exit', (code, signal) => {
      const error = new Error(`sandbox-perf: the spawner exited (${signal ?? `code ${code}`})`);
      failed(error);
      this.fail(error);
    });
    child.once('error', (error) => {
      failed(error);
      this.fail(error);
    });
    this.idle();
  }

  /** Starts a spawner; resolves once it said it can run here, rejects when it could not start or exited first. */
  static async start(file: string): Promise<Spawner> {
    const spawner = new Spawner(spawn(file, [], { stdio: ['pipe', 'pipe', 'pipe'] }));
    spawner.child.ref();
    try {
      await spawner.ready;
    } finally {
      spawner.idle();
    }
    return spawner;
  }

  get alive(): boolean {
    return this.gone === null;
  }

  /** Starts one run; `done` settles with the spawner's report, or rejects when the spawner died first. */
  run(request: SpawnRequest, onChunk: ChunkListener): { id: number; done: Promise<SpawnerDone> } {
    const id = this.nextId++;
    if (this.nextId > 0xffffffff) this.nextId = 1;
    const done = new Promise<SpawnerDone>((resolve, reject) => {
      if (this.gone) {
        reject(this.gone);
        return;
      }
      this.runs.set(id, { onChunk, resolve, reject });
      this.busy();
      this.child.stdin.write(encodeRun(id, request));
    });
    return { id, done };
  }

  /** Kills a run (its process group and groups); its `done` still settles. */
  kill(id: number): void {
    if (this.gone === null && this.runs.has(id)) this.child.stdin.write(encodeKill(id));
  }

  /** Ends the spawner (what it runs is killed: it reads end of file). */
  close(): void {
    this.child.stdin.end();
  }

  private receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.child.kill('SIGKILL');
      return;
    }
    for (const { kind, id, data } of frames) {
      if (kind === 'H') {
        this.hello?.();
        continue;
      }
      const run = this.runs.get(id);
      if (run === undefined) continue;
      if (kind === 'D') {
        this.runs.delete(id);
        if (this.runs.size === 0) this.idle();
        try {
          run.resolve(parseDone(data));
        } catch (error) {
          run.reject(error as Error);
        }
      } else {
        run.onChunk(kind === 'O' ? 'stdout' : 'stderr', data);
      }
    }
  }

  private fail(error: Error): void {
    if (this.gone) return;
    this.gone = error;
    for (const run of this.runs.values()) run.reject(error);
    this.runs.clear();
    this.idle();
  }

  /** With runs in flight the spawner's output keeps this process alive; without, nothing does. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref?(): void }).ref?.();
  }

  private idle(): void {
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { unref?(): void }[]) stream.unref?.();
  }
}

let shared: Promise<Spawner> | null = null;
let users = 0;

/**
 * The process's spawner, started on first use (a host backend's prepare); null when there is none
 * (not built, or SANDBOX_PERF_SPAWNER=off). Each acquire is paired with a release.
 */
export async function acquireSpawner(): Promise<Spawner | null> {
  const file = spawnerStatus().path;
  if (file === null) return null;
  users++;
  try {
    let spawner = shared ? await shared : null;
    if (spawner === null || !spawner.alive) {
      shared = Spawner.start(file);
      spawner = await shared;
    }
    return spawner;
  } catch (error) {
    users--;
    shared = null;
    throw error;
  }
}

/** The last release ends the spawner. */
export function releaseSpawner(): void {
  if (users === 0) return;
  users--;
  if (users > 0 || shared === null) return;
  const ending = shared;
  shared = null;
  void ending.then(
    (spawner) => spawner.close(),
    () => undefined,
  );
}
