import type { Worker } from 'node:worker_threads';
import { startThread } from '../../startThread';
import type { FromWriter, ToWriter, WriterData } from './writerProtocol';

/**
 * Starts a writer thread that does not keep the process alive by itself (the caller refs it while
 * a batch is being written): messages go to `onMessage`, a crash of the thread to `onError`.
 */
export function startWriterWorker(data: WriterData, onMessage: (message: FromWriter) => void, onError: (error: Error) => void): Worker {
  const worker = startThread(__dirname, 'writerThread', data);
  worker.unref();
  worker.on('message', onMessage);
  worker.on('error', onError);
  return worker;
}

/** Asks the writer thread to close its connection; terminates it if it has not answered within `waitMs` (at least 1 s). */
export async function stopWriterWorker(worker: Worker, waitMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const closeMessage: ToWriter = { type: 'close' };
  worker.postMessage(closeMessage);
  worker.ref();
  worker.once('message', () => void worker.terminate());
  // Ref'd: the process stays alive until the thread is gone, however long a write inside it takes.
  const timer = setTimeout(() => void worker.terminate(), Math.max(1000, waitMs));
  await exited;
  clearTimeout(timer);
}
