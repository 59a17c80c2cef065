import type { Database } from 'bun:sqlite';
import type { Logger } from '../lib/log';
import { workerUrl } from '../lib/worker-url';

/** Pages after which the main connection checkpoints itself anyway, should the worker stop. */
const BACKSTOP_PAGES = 20_000;

/** Moves WAL checkpoints to a worker thread; returns a function that stops it. */
export function startBackgroundCheckpoints(sqlite: Database, path: string, log: Logger, intervalMs = 500): () => Promise<void> {
  sqlite.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const worker = new Worker(workerUrl(new URL('./checkpointer.ts', import.meta.url), 'db/checkpointer.ts'));
  worker.onerror = (event) => log.warn('the checkpoint worker failed; SQLite checkpoints in the server thread instead', { error: event.message });
  worker.postMessage({ path, intervalMs });
  return () =>
    new Promise<void>((resolve) => {
      const done = () => {
        worker.terminate();
        resolve();
      };
      const timeout = setTimeout(done, 2000);
      worker.onmessage = () => {
        clearTimeout(timeout);
        done();
      };
      worker.postMessage('stop');
    });
}
