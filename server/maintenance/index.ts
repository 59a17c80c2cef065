import type { Deps } from '../deps';
import { runDailyBackup, writeBackupInWorker } from './daily-backup';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const BACKUP_CHECK_MS = 60_000;

/** Raw rows that started before this moment are rolled up: whole UTC days, `days` days back. */
export function rollUpCutoff(now: number, days: number): number {
  return (Math.floor(now / DAY_MS) - days) * DAY_MS;
}

/** Rolls up the raw ledger rows past `ledgerRetentionDays` (0 keeps them all). Returns the rows rolled up. */
export async function rollUpOldLedger(deps: Deps): Promise<number> {
  const days = deps.config.ledgerRetentionDays;
  if (days === 0) return 0;
  const rows = await deps.metering.rollUpLedger(rollUpCutoff(deps.clock.now(), days));
  if (rows > 0) deps.log.info('ledger rolled up', { rows, retention_days: days });
  return rows;
}

/** The daily backup, if configured and due, and its rotation; failures are logged, never thrown. */
export async function dailyBackupTick(deps: Deps, write: (source: string, target: string) => unknown = writeBackupInWorker): Promise<void> {
  try {
    const result = await runDailyBackup(deps.config.backup, deps.database.sqlite.filename, deps.clock.now(), write);
    if (result.written) deps.log.info('daily backup written', { file: result.written });
    if (result.removed.length) deps.log.info('old daily backups removed', { files: result.removed.length });
  } catch (error) {
    deps.log.warn('daily backup failed', { error: (error as Error).message });
  }
}

/**
 * Background upkeep of a running gateway: the optional daily backup (checked every minute) and
 * the ledger roll-up (at start, then hourly). The serving marker is the data dir's claim, taken in
 * startGateway before the database opens (serving-marker.ts).
 */
export function startMaintenance(deps: Deps): () => Promise<void> {
  let rollUp: Promise<unknown> = Promise.resolve();
  const rollUpNow = () => {
    rollUp = rollUp.then(() => rollUpOldLedger(deps)).catch((error: unknown) => deps.log.warn('ledger roll-up failed', { error: (error as Error).message }));
  };
  // one backup at a time: a slow one must not be started again by the next minute's check
  let backup: Promise<void> | null = null;
  const backupNow = () => {
    backup ??= dailyBackupTick(deps).finally(() => {
      backup = null;
    });
  };
  // after start-up, so that a first large roll-up does not hold up listening
  const first = setTimeout(() => {
    rollUpNow();
    backupNow();
  }, 0);
  const hourly = setInterval(rollUpNow, HOUR_MS);
  const backups = setInterval(backupNow, BACKUP_CHECK_MS);
  return async () => {
    clearTimeout(first);
    clearInterval(hourly);
    clearInterval(backups);
    await Promise.all([rollUp, backup]);
  };
}
