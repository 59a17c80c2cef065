import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { writeBackup } from '../db/backup';
import { workerUrl } from '../lib/worker-url';

const DAY_MS = 86_400_000;
const NAME = /^tollgate-\d{4}-\d{2}-\d{2}\.sqlite$/;

export const dailyBackupName = (now: number) => `tollgate-${new Date(now).toISOString().slice(0, 10)}.sqlite`;

export interface DailyBackupResult {
  /** the file written by this call, if today's was due and missing */
  written: string | null;
  /** older daily backups deleted to keep `keep` of them */
  removed: string[];
}

/**
 * Writes today's `tollgate-YYYY-MM-DD.sqlite` once the configured UTC time has passed and the
 * file is missing (so a gateway started after that time catches up), then keeps the newest
 * `keep` files of that pattern. Other files in the directory are never touched.
 */
export async function runDailyBackup(
  backup: Config['backup'],
  databaseFile: string,
  now: number,
  write: (source: string, target: string) => unknown = writeBackup,
): Promise<DailyBackupResult> {
  if (!backup.dailyAt) return { written: null, removed: [] };
  const [hours, minutes] = backup.dailyAt.split(':').map(Number) as [number, number];
  const due = Math.floor(now / DAY_MS) * DAY_MS + (hours * 60 + minutes) * 60_000;
  if (now < due) return { written: null, removed: [] };
  if (!existsSync(backup.dir)) {
    mkdirSync(backup.dir, { recursive: true, mode: 0o700 });
    chmodSync(backup.dir, 0o700);
  }
  const target = join(backup.dir, dailyBackupName(now));
  let written: string | null = null;
  if (!existsSync(target)) {
    await write(databaseFile, target);
    written = target;
  }
  // The names sort by date; the newest come first.
  const daily = readdirSync(backup.dir).filter((name) => NAME.test(name)).sort().reverse();
  const removed = daily.slice(backup.keep).map((name) => join(backup.dir, name));
  for (const file of removed) rmSync(file, { force: true });
  return { written, removed };
}

/** writeBackup in a worker thread; in the server thread if the worker cannot start. */
export function writeBackupInWorker(source: string, target: string): Promise<void> {
  let worker: Worker;
  try {
    worker = new Worker(workerUrl(new URL('./backup-worker.ts', import.meta.url), 'maintenance/backup-worker.ts'));
  } catch {
    writeBackup(source, target);
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ bytes?: number; error?: string }>) => {
      worker.terminate();
      if (event.data.error) reject(new Error(event.data.error));
      else resolve();
    };
    worker.onerror = (event) => {
      worker.terminate();
      // the worker did not load (or died): do it here rather than skip the day's backup
      try {
        if (!existsSync(target)) writeBackup(source, target);
        resolve();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(event.message)));
      }
    };
    worker.postMessage({ source, target });
  });
}
