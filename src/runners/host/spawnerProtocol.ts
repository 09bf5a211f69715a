import { signalName } from '../signalName';
import type { LauncherReport } from './launcher';

/**
 * The spawner's wire format (native/spawner.c says the same): frames of a 4-byte little-endian
 * length and a payload, both ways. Pure functions, so that the format is tested without a process.
 */

/** One run, as the spawner starts it. */
export interface SpawnRequest {
  /** The program's path, already looked up (the spawner execs it as is). */
  file: string;
  /** What the program sees as its arguments, its own name first. */
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Killed (process group and groups) this long after the clock started; 0: never. */
  timeoutMs: number;
  /** Sets `no_new_privs` before the exec (what `setpriv --no-new-privs` did, without its exec). */
  noNewPrivs: boolean;
  /** Gives the command a pipe on descriptor 3, for the launcher's report. */
  reportFd: boolean;
  /** Exits instead of exec'ing: the timer's own floor (harnessCost.ts). */
  probe?: boolean;
  /** cgroup v1 group directories the parked child joins before the clock starts. */
  groups: readonly string[];
  /** The freezer group frozen to kill the run, or null. */
  freezer: string | null;
}

/**
 * What the spawner reported at a run's end: the launcher's fields, read by the spawner around its
 * own child (startNs/endNs: CLOCK_MONOTONIC right before the parked child was let go and right after
 * wait4; 0n when nothing ran), and how the run went.
 */
export interface SpawnerDone extends LauncherReport {
  timedOut: boolean;
  /** `ran`; `setup`: the child could not be prepared (nothing ran); `exec`: the program could not start. */
  stage: 'ran' | 'setup' | 'exec';
  /** The errno of a failed stage, else 0. */
  errno: number;
  /** What the command's descriptor 3 held (the launcher's report), latin1. */
  report: string;
}

function frame(fields: readonly (string | number)[]): Buffer {
  const body = Buffer.from(fields.map((field) => `${field}\0`).join(''), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

/** A NUL in a field would shift every field after it: refused (execve could not pass it anyway). */
function checkField(what: string, value: string): string {
  if (value.includes('\0')) throw new TypeError(`Expected \`${what}\` to hold no NUL character, got ${JSON.stringify(value)}`);
  return value;
}

export function encodeRun(id: number, request: SpawnRequest): Buffer {
  const flags = `${request.noNewPrivs ? 'n' : ''}${request.reportFd ? 'r' : ''}${request.probe === true ? 'p' : ''}`;
  const env = Object.entries(request.env).map(([name, value]) => checkField('env', `${name}=${value}`));
  return frame([
    'run',
    id,
    Math.max(0, Math.ceil(request.timeoutMs)),
    flags,
    checkField('cwd', request.cwd),
    checkField('file', request.file),
    request.argv.length,
    ...request.argv.map((arg) => checkField('argv', arg)),
    env.length,
    ...env,
    request.groups.length,
    ...request.groups.map((group) => checkField('groups', group)),
    checkField('freezer', request.freezer ?? ''),
  ]);
}

export function encodeKill(id: number): Buffer {
  return frame(['kill', id]);
}

export interface ReplyFrame {
  /** `H` hello (first, once), `O`/`E` a chunk of the run's stdout/stderr, `D` its end. */
  kind: 'H' | 'O' | 'E' | 'D';
  id: number;
  data: Buffer;
}

/** Splits the spawner's output into frames, across chunk boundaries. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ReplyFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: ReplyFrame[] = [];
    let at = 0;
    while (this.pending.length - at >= 4) {
      const length = this.pending.readUInt32LE(at);
      if (this.pending.length - at - 4 < length) break;
      if (length < 5) throw new Error(`sandbox-perf: the spawner sent a frame of ${length} bytes (at least 5 expected)`);
      const kind = String.fromCharCode(this.pending[at + 4] as number);
      if (kind !== 'H' && kind !== 'O' && kind !== 'E' && kind !== 'D')
        throw new Error(`sandbox-perf: the spawner sent a frame of unknown kind ${JSON.stringify(kind)}`);
      frames.push({ kind, id: this.pending.readUInt32LE(at + 5), data: this.pending.subarray(at + 9, at + 4 + length) });
      at += 4 + length;
    }
    this.pending = at === this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(at));
    return frames;
  }
}

const DONE = /^(\d{1,20}) (\d{1,20}) (\d{1,10}) (\d{1,15}) (\d{1,15}) (\d{1,15}) ([01]) (-|setup|exec) (\d{1,5})\n/;

/** The `D` frame's payload; throws on anything else (the spawner is ours: a bad line is a bug). */
export function parseDone(data: Buffer): SpawnerDone {
  const text = data.toString('latin1');
  const match = DONE.exec(text);
  if (match === null) throw new Error(`sandbox-perf: the spawner's end-of-run line is malformed: ${JSON.stringify(text.slice(0, 120))}`);
  const [line, start, end, status, user, system, rss, timedOut, stage, errno] = match as unknown as string[];
  const wait = Number(status);
  const termSignal = wait & 0x7f;
  const exited = termSignal === 0;
  return {
    startNs: BigInt(start as string),
    endNs: BigInt(end as string),
    exitCode: exited ? (wait >> 8) & 0xff : null,
    signal: exited ? null : signalName(termSignal),
    userCpuMs: Number(user) / 1000,
    key: null,
    systemCpuMs: Number(system) / 1000,
    peakMemoryBytes: Number(rss) * 1024,
    timedOut: timedOut === '1',
    stage: stage === '-' ? 'ran' : (stage as 'setup' | 'exec'),
    errno: Number(errno),
    report: text.slice((line as string).length),
  };
}
