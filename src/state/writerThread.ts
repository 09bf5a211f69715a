import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './SqliteStore';
import { errorCode, errorMessage } from '../log';
import type { FromWriter, ToWriter, WriterData } from './writerProtocol';

/**
 * The writer thread: all SQLite work of StateDatabase happens here, so that a locked, slow or
 * damaged database blocks this thread and never the caller's event loop.
 */
const port = parentPort;
if (!port) throw new Error('writerThread must run in a worker thread');
const data = workerData as WriterData;
const post = (message: FromWriter): void => port.postMessage(message);
const store = new SqliteStore(data.file, {
  busyTimeoutMs: data.busyTimeoutMs,
  onEvent: (event) => post({ type: 'event', event }),
});

port.on('message', (message: ToWriter) => {
  switch (message.type) {
    case 'open':
      try {
        store.connect();
      } catch {
        // Reported by the first write, through the same fault path as any other failure.
        store.close();
      }
      post({ type: 'opened' });
      break;
    case 'write':
      try {
        post({ type: 'written', id: message.id, count: store.write(message.batch) });
      } catch (error) {
        store.close();
        post({ type: 'failed', id: message.id, code: errorCode(error), message: errorMessage(error) });
      }
      break;
    case 'prune':
      try {
        post({ type: 'pruned', removed: store.prune(message.retention) });
      } catch (error) {
        post({
          type: 'event',
          event: { level: 'warn', code: errorCode(error), message: `retention pruning failed: ${errorMessage(error)}` },
        });
      }
      break;
    case 'close':
      store.close();
      post({ type: 'closed' });
      break;
  }
});
