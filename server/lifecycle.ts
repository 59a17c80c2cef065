import type { Logger } from './lib/log';

/** Counts work in progress (relays, settlements) so that shutdown can wait for the last one. */
export function createInFlight() {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    /** Marks one piece of work as started; call the returned function (once is enough) when it ends. */
    enter(): () => void {
      count++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        count--;
        if (count === 0) {
          const ready = waiters;
          waiters = [];
          for (const resolve of ready) resolve();
        }
      };
    },
    get count(): number {
      return count;
    },
    idle(): Promise<void> {
      return count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

export type InFlight = ReturnType<typeof createInFlight>;

/** Waits for `work`, but no longer than `ms` and no longer than until `interrupt` fires. */
export async function waitAtMost(work: Promise<unknown>, ms: number, interrupt?: AbortSignal): Promise<'done' | 'timeout' | 'interrupted'> {
  if (interrupt?.aborted) return 'interrupted';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onInterrupt: (() => void) | undefined;
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      }),
      new Promise<'interrupted'>((resolve) => {
        onInterrupt = () => resolve('interrupted');
        interrupt?.addEventListener('abort', onInterrupt, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onInterrupt) interrupt?.removeEventListener('abort', onInterrupt);
  }
}

/**
 * Resolves on the first SIGTERM or SIGINT with its name; the returned `again` signal fires on a
 * second one, which cuts the grace period short (systemd sends SIGTERM, an impatient operator
 * presses Ctrl-C twice).
 */
export function onStopSignal(log?: Logger): { first: Promise<NodeJS.Signals>; again: AbortSignal } {
  const again = new AbortController();
  let seen = false;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      if (!seen) {
        seen = true;
        resolve(signal);
        return;
      }
      log?.warn('shutdown: second signal, ending the grace period now', { signal });
      again.abort();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
  return { first, again: again.signal };
}
