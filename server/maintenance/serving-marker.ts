import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A running gateway leaves `tollgate.pid` in its data dir, so that `tollgate restore` can refuse
// to swap the database under it. A marker left by a killed process is recognised as stale: the
// PID must be alive and, where /proc exists, started at the same moment (PIDs get reused).

const MARKER = 'tollgate.pid';

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
