import { startBackgroundCheckpoints } from '../db/background-checkpoints';
import type { Deps } from '../deps';
import type { Logger } from '../lib/log';
import { waitAtMost } from '../lifecycle';
import { runDailyBackup, writeBackupInWorker } from './daily-backup';
import type { BackgroundJob, Leadership } from './leader';

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
    if (!deps.database) return;
    const result = await runDailyBackup(deps.config.backup, deps.database.sqlite.filename, deps.clock.now(), write);
    if (result.written) deps.log.info('daily backup written', { file: result.written });
    if (result.removed.length) deps.log.info('old daily backups removed', { files: result.removed.length });
  } catch (error) {
    deps.log.warn('daily backup failed', { error: (error as Error).message });
  }
}

/** The ledger roll-up: at start (after listening), then hourly. Safe to run on two instances at once (ledger-store.ts). */
export function startLedgerRollUp(deps: Deps): () => Promise<void> {
  let rollUp: Promise<unknown> = Promise.resolve();
  const rollUpNow = () => {
    rollUp = rollUp.then(() => rollUpOldLedger(deps)).catch((error: unknown) => deps.log.warn('ledger roll-up failed', { error: (error as Error).message }));
  };
  // after start-up, so that a first large roll-up does not hold up listening
  const first = setTimeout(rollUpNow, 0);
  const hourly = setInterval(rollUpNow, HOUR_MS);
  return async () => {
    clearTimeout(first);
    clearInterval(hourly);
    await rollUp;
  };
}

/** The optional daily backup of the SQLite file (checked every minute, first right after start). */
export function startDailyBackups(deps: Deps): () => Promise<void> {
  // one backup at a time: a slow one must not be started again by the next minute's check
  let backup: Promise<void> | null = null;
  const backupNow = () => {
    backup ??= dailyBackupTick(deps).finally(() => {
      backup = null;
    });
  };
  const first = setTimeout(backupNow, 0);
  const backups = setInterval(backupNow, BACKUP_CHECK_MS);
  return async () => {
    clearTimeout(first);
    clearInterval(backups);
    await backup;
  };
}

export type { BackgroundJob } from './leader';

/**
 * The background work of a running gateway, in the order it starts and stops: the order
 * reconciler (and expiry of unpaid orders), the mail worker and the expiring-key sweep, the
 * upstream balance checks, the ledger roll-up, in the SQLite mode the daily backup and the WAL
 * checkpointer, in the scale-out mode the sweeper of dead instances' holds (the backend's own). The serving marker is the data dir's claim, taken in startGateway before the
 * database opens (serving-marker.ts).
 */
export function backgroundJobs(deps: Deps): BackgroundJob[] {
  const stops = new Map<string, () => Promise<void>>();
  const started = (name: string, start: () => () => Promise<void>): BackgroundJob => ({
    name,
    start: () => void stops.set(name, start()),
    stop: () => stops.get(name)?.(),
  });
  const jobs: BackgroundJob[] = [
    { name: 'order reconciler', start: () => deps.checkout.start(), stop: () => deps.checkout.stop() },
    // a send under way finishes (its SMTP timeouts bound it); one cut off is sent again on the next start
    { name: 'mail', start: () => deps.mail.start(), stop: () => waitAtMost(deps.mail.stop(), 15_000) },
    { name: 'upstream balance checks', start: () => deps.pool.startBalanceChecks(), stop: () => deps.pool.stopBalanceChecks() },
    started('ledger roll-up', () => startLedgerRollUp(deps)),
  ];
  const sqlite = deps.database?.sqlite;
  if (sqlite) {
    jobs.push(started('daily backup', () => startDailyBackups(deps)));
    jobs.push(started('checkpointer', () => startBackgroundCheckpoints(sqlite, sqlite.filename, deps.log)));
  }
  // the scale-out mode's hold sweeper
  jobs.push(...deps.backend.backgroundJobs);
  return jobs;
}

/**
 * Runs `jobs` while this instance leads: at once and for good in the SQLite mode (soleLeader), on
 * the elected instance in the scale-out mode. Answers the stop for shutdown.
 */
export function runWhileLeader(leadership: Leadership, jobs: BackgroundJob[], log: Logger): () => Promise<void> {
  let running = false;
  let changing: Promise<void> = Promise.resolve();
  const start = () => {
    if (running) return;
    running = true;
    for (const job of jobs) {
      try {
        job.start();
      } catch (error) {
        log.error('background work did not start', { job: job.name, error: String(error) });
      }
    }
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    for (const job of jobs) {
      try {
        await job.stop();
      } catch (error) {
        log.warn('background work did not stop cleanly', { job: job.name, error: String(error) });
      }
    }
  };
  if (leadership.isLeader()) start();
  const unsubscribe = leadership.onChange((leader) => {
    changing = changing.then(leader ? start : stop);
  });
  return async () => {
    unsubscribe();
    await changing;
    await stop();
  };
}
