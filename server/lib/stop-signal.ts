// What the relay's upstream waits listen to: an AbortSignal, or the shutdown signal shared through
// one listener. Every open request listens to the shutdown; a native listener each (added and
// removed per request) cost more than the rest of that wait's bookkeeping.

export interface StopSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** `signal` seen through a Set of listeners behind one listener of its own; each runs once, when it aborts. */
export function sharedStopSignal(signal: AbortSignal): StopSignal {
  const listeners = new Set<() => void>();
  signal.addEventListener(
    'abort',
    () => {
      const now = [...listeners];
      listeners.clear();
      for (const listener of now) listener();
    },
    { once: true },
  );
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason;
    },
    addEventListener(_type, listener) {
      // as an aborted AbortSignal does: a listener added after the abort never runs
      if (!signal.aborted) listeners.add(listener);
    },
    removeEventListener(_type, listener) {
      listeners.delete(listener);
    },
  };
}
