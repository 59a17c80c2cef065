// A worker thread that checkpoints the WAL with its own connection, so the fsyncs a checkpoint
// needs never stall the event loop that serves requests.
import { Database } from 'bun:sqlite';

declare const self: Worker;

let db: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

self.onmessage = (event: MessageEvent<{ path: string; intervalMs: number } | 'stop'>) => {
  if (event.data === 'stop') {
    if (timer) clearInterval(timer);
    try {
      db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // the main connection will checkpoint on close
    }
    db?.close();
    db = null;
    postMessage('stopped');
    return;
  }
  db = new Database(event.data.path);
  db.exec('PRAGMA busy_timeout = 5000');
  timer = setInterval(() => {
    try {
      db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // busy: try again next time
    }
  }, event.data.intervalMs);
};
