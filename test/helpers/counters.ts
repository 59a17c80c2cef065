import { createLogger, type Logger } from '../../server/lib/log';
import { connectRedis, type SharedRedis } from '../../server/lib/redis';
import { teeLog } from './log-tee';

/** A logger whose lines a test can read (and the log audit sees). */
export function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger('debug', (line) => {
    lines.push(line);
    teeLog('shared-counters', line);
  });
  return { log, lines };
}

/** Two connections to one Redis, as two gateway instances would hold them. */
export async function twoInstances(url: string): Promise<{ a: SharedRedis; b: SharedRedis; lines: string[]; close(): void }> {
  const { log, lines } = capturedLog();
  const a = await connectRedis(url, { log, commandTimeoutMs: 1000 });
  const b = await connectRedis(url, { log, commandTimeoutMs: 1000 });
  return {
    a,
    b,
    lines,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** Polls `check` until it holds or `ms` pass; answers whether it held (the caller asserts). */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await Bun.sleep(20);
  }
}
