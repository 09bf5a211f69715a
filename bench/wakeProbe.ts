import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import net from 'node:net';

/**
 * The floor for a hand-off on this machine at this moment: a warm Node process blocked on a Unix
 * socket, from the write to its 'data' callback, one clock (what the agent's wake-up costs before
 * any code of ours runs). Returns a probe to call between the pool's hand-offs.
 */
export async function nodeWakeProbe(): Promise<{ probe(): Promise<number>; close(): void }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-wake-')), 'wake.sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  const reader = `const s = require('net').connect(process.argv[1]); s.on('data', () => s.write(process.hrtime.bigint() + '\\n'));`;
  const child = spawn(process.execPath, ['-e', reader, file], { stdio: 'ignore' });
  const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  return {
    probe: () =>
      new Promise<number>((resolve) => {
        socket.once('data', (echo: Buffer) => resolve(Number(BigInt(echo.toString().trim()) - written) / 1e6));
        const written = process.hrtime.bigint();
        socket.write('{"argv":["true"]}\n');
      }),
    close() {
      socket.destroy();
      server.close();
      child.kill();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    },
  };
}
