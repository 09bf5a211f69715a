/**
 * The host side of the pool agent's protocol (agentScript.ts). Everything the agent sends after the
 * hand-off is written by a process the sandboxed command can tamper with, so it is parsed as
 * hostile input: known frame types only, bounded lengths, validated fields. A violation is a
 * `ProtocolError`, and the sandbox is discarded.
 */

/** Frame types: Ready (idle, waiting), Accepted (request read), Out/Err (output), eXit (report). */
export type FrameType = 'R' | 'A' | 'O' | 'E' | 'X';
const TYPES = new Set<number>(['R', 'A', 'O', 'E', 'X'].map((t) => t.charCodeAt(0)));
/** The agent forwards pipe reads (64 KiB at most); anything far larger is not the agent. */
export const MAX_FRAME_BYTES = 1024 * 1024;
const HEADER_BYTES = 5;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Cuts a byte stream into frames; `onFrame` gets each complete frame in order. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (type: FrameType, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (data.length >= HEADER_BYTES) {
      const type = data[0] as number;
      const length = data.readUInt32BE(1);
      if (!TYPES.has(type)) throw new ProtocolError(`unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
      if (length > MAX_FRAME_BYTES) throw new ProtocolError(`a frame of ${length} bytes (at most ${MAX_FRAME_BYTES})`);
      if (data.length < HEADER_BYTES + length) break;
      this.onFrame(String.fromCharCode(type) as FrameType, data.subarray(HEADER_BYTES, HEADER_BYTES + length));
      data = data.subarray(HEADER_BYTES + length);
    }
    this.buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
  }
}

/** A non-negative integer nanosecond reading, as the agent prints `process.hrtime.bigint()`. */
function parseClock(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) throw new ProtocolError(`${what}: not a clock reading`);
  return BigInt(value);
}

function parseJson(payload: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProtocolError(`${what}: not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError(`${what}: not an object`);
  return value as Record<string, unknown>;
}

/** The token of a ready frame (compared with the one the container was started with). */
export function parseReady(payload: Buffer): string {
  const { token } = parseJson(payload, 'ready frame');
  if (typeof token !== 'string') throw new ProtocolError('ready frame: no token');
  return token;
}

export function parseAccepted(payload: Buffer): bigint {
  return parseClock(payload.toString('latin1'), 'accept');
}

export interface ExitReport {
  received: bigint;
  exited: bigint;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string | null;
  /** The launcher's report line as the agent read it (untrusted: parse with parseLauncherReport), or null without a launcher. */
  usage: string | null;
}

const MAX_TEXT = 1000;
/** The agent keeps at most this much of the launcher's report pipe. */
export const MAX_USAGE = 256;

export function parseExit(payload: Buffer): ExitReport {
  const json = parseJson(payload, 'exit report');
  const { code, signal, timedOut, error, usage } = json;
  if (code !== null && !(Number.isInteger(code) && (code as number) >= 0 && (code as number) <= 255)) {
    throw new ProtocolError('exit report: code is not 0..255 or null');
  }
  if (signal !== null && !(typeof signal === 'string' && /^SIG[A-Z0-9]{1,12}$/.test(signal))) {
    throw new ProtocolError('exit report: signal is not a signal name or null');
  }
  if (typeof timedOut !== 'boolean') throw new ProtocolError('exit report: timedOut is not a boolean');
  if (error !== null && typeof error !== 'string') throw new ProtocolError('exit report: error is not a string or null');
  if (usage !== null && !(typeof usage === 'string' && usage.length <= MAX_USAGE)) {
    throw new ProtocolError(`exit report: usage is not a string of at most ${MAX_USAGE} characters or null`);
  }
  const received = parseClock(json.received, 'exit report');
  const exited = parseClock(json.exited, 'exit report');
  if (exited < received) throw new ProtocolError('exit report: exited before it received the request');
  return {
    received,
    exited,
    code: code as number | null,
    signal: signal,
    timedOut,
    error: error === null ? null : error.slice(0, MAX_TEXT),
    usage,
  };
}

export interface RunPhases {
  /** The request's way to the agent (host write → agent read). */
  handOffMs: number;
  /** Agent read the request → command exited and its output drained (spawn included, as for `none`). */
  commandMs: number;
  /** The report's way back and its parsing (agent → host). */
  resultMs: number;
  /** True when the agent's readings were on the host's clock (runc); false: the transport was split evenly. */
  sharedClock: boolean;
}

/**
 * Splits the host's wait (`written` → `reported`, host clock, ns) into the three phases, using the
 * agent's readings when they are on the same clock (they fall inside the host's window) and
 * otherwise the agent's command duration alone, the rest split evenly between the two ways.
 * Pure: the three phases always sum to the host's wait, and none is negative.
 */
export function splitPhases(written: bigint, reported: bigint, report: Pick<ExitReport, 'received' | 'exited'>): RunPhases {
  const total = Number(reported - written) / 1e6;
  const { received, exited } = report;
  if (received >= written && exited <= reported) {
    return {
      handOffMs: Number(received - written) / 1e6,
      commandMs: Number(exited - received) / 1e6,
      resultMs: Number(reported - exited) / 1e6,
      sharedClock: true,
    };
  }
  const commandMs = Math.min(total, Number(exited - received) / 1e6);
  const transport = total - commandMs;
  return { handOffMs: transport / 2, commandMs, resultMs: transport / 2, sharedClock: false };
}
