import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config';
import type { Clock } from '../../server/lib/clock';
import { createLogger } from '../../server/lib/log';
import { startGateway, type RunningGateway } from '../../server/server';
import { teeLog } from './log-tee';

export interface TestGateway extends RunningGateway {
  dataDir: string;
  logLines: string[];
  close(): Promise<void>;
}

export function tempDir(label = 'tollgate-test-'): string {
  return mkdtempSync(join(tmpdir(), label));
}

/** The real gateway on loopback (a random port unless given) with its own data dir; logs are captured. */
export async function startTestGateway(opts: { env?: Record<string, string>; clock?: Clock; dataDir?: string; port?: number } = {}): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = loadConfig({ TOLLGATE_LOG_LEVEL: 'info', ...opts.env }, { port: String(opts.port ?? 0), host: '127.0.0.1', dataDir });
  const logLines: string[] = [];
  const gateway = await startGateway(config, { clock: opts.clock, log: createLogger(config.logLevel, (line) => {
    logLines.push(line);
    teeLog('gateway', line);
  }) });
  return {
    ...gateway,
    dataDir,
    logLines,
    close: async () => {
      await gateway.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
