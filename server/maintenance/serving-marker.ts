import { Database } from 'bun:sqlite';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StartupError } from '../config';

// A running gateway leaves `tollgate.pid` in its data dir, so that `tollgate restore` can refuse
// to swap the database under it and a second `serve` can name the process it would collide with.
// A marker left by a killed process is recognised as stale: the PID must be alive and, where /proc
// exists, started at the same moment (PIDs get reused).
//
// The marker alone cannot stop two gateways that start at the same moment, so the claim is SQLite's
// own lock: an exclusive lock on `tollgate.lock`, held for as long as the gateway runs. The system
// drops it when the process ends however it ends, so a crash never leaves the data dir locked.

const MARKER = 'tollgate.pid';
const LOCK = 'tollgate.lock';
/** how long a refused start waits for the winner's marker, to name its PID */
const MARKER_WAIT_MS = 2000;

interface Marker {
  pid: number;
  /** the process start time from /proc (clock ticks since boot), when the system has /proc */
  started: string | null;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records this process as the data dir's server; the returned function removes the marker. */
export function markServing(dataDir: string): () => void {
  const path = join(dataDir, MARKER);
  const marker: Marker = { pid: process.pid, started: startTimeOf(process.pid) };
  writeFileSync(path, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  return () => {
    // another gateway may have started on this dir since; its marker is not ours to remove
    if (readMarker(dataDir)?.pid === process.pid) rmSync(path, { force: true });
  };
}

function readMarker(dataDir: string): Marker | undefined {
  const path = join(dataDir, MARKER);
  if (!existsSync(path)) return undefined;
  try {
    const marker = JSON.parse(readFileSync(path, 'utf8')) as Marker;
    return Number.isInteger(marker.pid) && marker.pid > 0 ? marker : undefined;
  } catch {
    return undefined;
  }
}

/** The PID of a live gateway serving this data dir, or undefined. */
export function servingProcess(dataDir: string): number | undefined {
  const marker = readMarker(dataDir);
  if (!marker || !isAlive(marker.pid)) return undefined;
  if (marker.started !== null) {
    const now = startTimeOf(marker.pid);
    if (now !== null && now !== marker.started) return undefined;
  }
  return marker.pid;
}

/** Another live process serves the data dir (the message names it). */
export class DataDirInUseError extends StartupError {}

/** Claims held by this process, per data dir: gateways started in one process (tests) share one. */
const claims = new Map<string, { lock: Database; count: number; unmark: () => void }>();

/**
 * Makes this process the data dir's one server: takes the exclusive lock and writes the marker.
 * Throws DataDirInUseError naming the other process when a live one holds it. The returned
 * function gives the claim back (once the database is closed).
 */
export function claimDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  let claim = claims.get(dir);
  if (claim) claim.count++;
  else {
    claim = { lock: lockExclusively(dir), count: 1, unmark: markServing(dir) };
    claims.set(dir, claim);
  }
  const held = claim;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.count > 0) return;
    claims.delete(dir);
    held.unmark();
    held.lock.close();
  };
}

function lockExclusively(dir: string): Database {
  const lock = new Database(join(dir, LOCK), { create: true });
  try {
    lock.exec('PRAGMA busy_timeout = 0');
    // in this mode the lock BEGIN EXCLUSIVE takes is kept after COMMIT, until the connection closes
    lock.exec('PRAGMA locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('COMMIT');
    return lock;
  } catch (error) {
    lock.close();
    if (!/locked|busy/i.test((error as Error).message)) throw error;
    const pid = waitForServingProcess(dir);
    throw new DataDirInUseError(
      pid === undefined
        ? `another process holds ${join(dir, LOCK)}: a gateway is starting or serving ${dir}; stop it first, or give this one its own --data-dir`
        : `a gateway (pid ${pid}) is already serving ${dir}; stop it first, or give this one its own --data-dir`,
    );
  }
}

/** The lock's holder writes its marker right after taking the lock: wait a moment for it. */
function waitForServingProcess(dir: string): number | undefined {
  const until = Date.now() + MARKER_WAIT_MS;
  for (;;) {
    const pid = servingProcess(dir);
    if (pid !== undefined || Date.now() >= until) return pid;
    Bun.sleepSync(50);
  }
}
