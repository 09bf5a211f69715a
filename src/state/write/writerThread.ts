import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, WriteAbandonedError } from './SqliteStore';
import { errorCode, errorMessage } from '../../log';
import { TAKEN_OVER, type FromWriter, type ToWriter, type WriterData } from './writerProtocol';

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
  abandonWrites: () => Atomics.load(data.control, TAKEN_OVER) === 1,
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
        post({ type: 'written', result: store.write(message.batch) });
      } catch (error) {
        // The main thread is exiting and writes this batch itself: nothing to report.
        if (error instanceof WriteAbandonedError) break;
        store.close();
        post({ type: 'failed', code: errorCode(error), message: errorMessage(error) });
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
