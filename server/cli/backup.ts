import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config';
import { BackupError, restoreBackup, writeBackup } from '../db/backup';
import { databasePath } from '../db/client';
import { servingProcess } from '../maintenance/serving-marker';
import { UsageError } from './keys';

/** `tollgate backup FILE` and `tollgate restore FILE`. */
export async function runBackupCommand(command: 'backup' | 'restore', config: Config, positionals: string[], out: (line: string) => void): Promise<void> {
  if (positionals.length !== 1) throw new UsageError(`usage: tollgate ${command} FILE`);
  const file = resolve(positionals[0] as string);
  const live = databasePath(config.dataDir);
  try {
    if (command === 'backup') {
      const { bytes } = writeBackup(live, file);
      out(`wrote ${file} (${formatBytes(bytes)})`);
      out(`keep ${join(config.dataDir, 'server-secret')} safe as well: the keys in the backup are sealed with it`);
      return;
    }
    const pid = servingProcess(config.dataDir);
    if (pid !== undefined) throw new BackupError(`a gateway (pid ${pid}) is serving ${config.dataDir}; stop it before restoring`);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replaceAll(':', '-').replace('.', '-');
    const { keptAs, ...check } = restoreBackup(file, live, stamp);
    out(`restored ${file} into ${live} (${check.keys} keys, ${check.ledgerRows} ledger rows)`);
    if (keptAs) out(`the previous database is kept as ${keptAs}`);
    out('the next start applies any newer migrations');
    if (check.keys > 0 && !existsSync(join(config.dataDir, 'server-secret'))) {
      out(`before the first start, put the original server-secret in ${config.dataDir}: the keys in the backup are sealed with it, and the gateway will not start without it`);
    }
  } catch (error) {
    if (error instanceof BackupError) throw new UsageError(error.message);
    throw error;
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}, ${bytes} bytes`;
}
