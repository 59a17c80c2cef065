import type { Config } from '../config';
import { UsageError } from './keys';

/** `tollgate backup FILE` and `tollgate restore FILE`. */
export async function runBackupCommand(command: 'backup' | 'restore', _config: Config, positionals: string[], _out: (line: string) => void): Promise<void> {
  if (positionals.length !== 1) throw new UsageError(`usage: tollgate ${command} FILE`);
  throw new UsageError(`${command} is not available yet`);
}
