import { FrameReader, MAX_FRAME_BYTES, parseExit, parseReady, ProtocolError, splitPhases, type FrameType } from '../agentProtocol';
import { refillBackoffMs, resolvePoolOptions } from '../poolOptions';

function frame(type: string, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function readAll(chunks: Buffer[]): [FrameType, string][] {
  const frames: [FrameType, string][] = [];
  const reader = new FrameReader((type, payload) => frames.push([type, payload.toString()]));
  for (const chunk of chunks) reader.push(chunk);
  return frames;
}

const exit = (fields: Record<string, unknown>): Buffer =>
  Buffer.from(
    JSON.stringify({ received: '100', exited: '200', code: 0, signal: null, timedOut: false, error: null, usage: null, ...fields }),
  );

describe('FrameReader', () => {
  test('frames come out whole whether they arrive split byte by byte or several in one chunk', () => {
    const bytes = Buffer.concat([frame('O', 'hello'), frame('E', ''), frame('X', '{}')]);
    const expected = [
      ['O', 'hello'],
      ['E', ''],
      ['X', '{}'],
    ];
    expect(readAll([bytes])).toEqual(expected);
    expect(readAll([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  test('an unknown frame type is a protocol error naming it', () => {
    expect(() => readAll([frame('Z', 'x')])).toThrow(new ProtocolError('unknown frame type 0x5a'));
  });

  test('a length beyond the bound is refused before any of it is buffered', () => {
    const head = Buffer.alloc(5);
    head[0] = 'O'.charCodeAt(0);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1, 1);
    expect(() => readAll([head])).toThrow(/a frame of 1048577 bytes \(at most 1048576\)/);
  });
});

describe('agent reports are hostile input', () => {
  test('a well-formed exit report is read', () => {
    expect(parseExit(exit({ code: 3 }))).toEqual({
      received: 100n,
      exited: 200n,
      code: 3,
      signal: null,
      timedOut: false,
      error: null,
      usage: null,
    });
  });

  test.each([
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['an array', Buffer.from('[]'), /not an object/],
    ['a code out of range', exit({ code: 256 }), /code is not 0\.\.255/],
    ['a made-up signal', exit({ signal: '\u001b[2J' }), /signal is not a signal name/],
    ['a non-boolean timedOut', exit({ timedOut: 'yes' }), /timedOut is not a boolean/],
    ['a clock that is not digits', exit({ received: '-5' }), /not a clock reading/],
    ['an exit before the request', exit({ received: '300' }), /exited before it received/],
    ['a usage line beyond 256 characters', exit({ usage: 'x'.repeat(257) }), /usage is not a string of at most 256 characters or null/],
    ['a usage that is not a string', exit({ usage: 12 }), /usage is not a string/],
    ['a report without usage', exit({ usage: undefined }), /usage is not a string/],
  ])('%s is a protocol error', (_, payload, message) => {
    expect(() => parseExit(payload)).toThrow(message);
  });

  test('an error text is cut to 1000 characters', () => {
    expect(parseExit(exit({ code: null, error: 'e'.repeat(5000) })).error).toHaveLength(1000);
  });

  test('a ready frame without a token is refused', () => {
    expect(parseReady(Buffer.from('{"token":"ab"}'))).toBe('ab');
    expect(() => parseReady(Buffer.from('{"pid":1}'))).toThrow(/no token/);
  });
});

describe('splitPhases', () => {
  test('on a shared clock the three phases are the agent readings between the host ones', () => {
    const phases = splitPhases(1_000_000n, 10_000_000n, { received: 1_500_000n, exited: 9_000_000n });
    expect(phases).toEqual({ handOffMs: 0.5, commandMs: 7.5, resultMs: 1, sharedClock: true });
  });

  test('on another clock the command is the agent duration and the transport is split evenly', () => {
    const phases = splitPhases(1_000_000n, 10_000_000n, { received: 50n, exited: 8_000_050n });
    expect(phases).toEqual({ handOffMs: 0.5, commandMs: 8, resultMs: 0.5, sharedClock: false });
  });

  test('a command longer than the host wait (a lying agent) is clamped to it: no negative phase', () => {
    const phases = splitPhases(0n, 1_000_000n, { received: 5n, exited: 9_000_000_005n });
    expect(phases).toEqual({ handOffMs: 0, commandMs: 1, resultMs: 0, sharedClock: false });
  });
});

describe('pool options', () => {
  test('defaults: 2 ready, at most 4 held', () => {
    expect(resolvePoolOptions()).toEqual({ size: 2, autosize: null, maxSandboxes: 4, acquireTimeoutMs: 60_000, refillConcurrency: 2 });
  });

  test.each([
    [{ size: 0 }, RangeError, /^Expected `pool.size` to be a finite integer >= 1 and <= 64, got `0` \(number\)$/],
    [{ size: '4' }, TypeError, /^Expected `pool.size` to be a finite integer >= 1 and <= 64, got `"4"` \(string\)$/],
    [{ size: 4, maxSandboxes: 3 }, RangeError, /^Expected `pool.maxSandboxes` to be a finite integer >= 4 and <= 256, got `3`/],
    [
      { sise: 4 },
      TypeError,
      /^Expected `pool.sise` to be one of 'size', 'maxSandboxes', 'acquireTimeoutMs', 'refillConcurrency', got `"sise"`/,
    ],
  ])('%j is refused', (options, kind, message) => {
    expect(() => resolvePoolOptions(options as never)).toThrow(kind);
    expect(() => resolvePoolOptions(options as never)).toThrow(message);
  });

  test('refill failures back off from 100 ms, doubling, to at most 10 s', () => {
    expect([0, 1, 2, 3, 7, 8, 100].map(refillBackoffMs)).toEqual([0, 100, 200, 400, 6400, 10_000, 10_000]);
  });
});
