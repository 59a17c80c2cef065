import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Dict } from '../i18n/en';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change; drops answers that arrive after a newer run started. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  useEffect(() => {
    const id = ++run.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => id === run.current && setState({ data, loading: false }),
      (error: unknown) => id === run.current && setState({ error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** What to tell the buyer about a failure: the server's message if it gave one. */
export function errorText(error: unknown, t: Dict): string {
  if (error instanceof ApiError) {
    if (error.message) return error.message;
    if (error.status === 0) return t.common.networkError;
  }
  return t.common.unexpected;
}

export function useTitle(title: string, siteName: string | undefined): void {
  useEffect(() => {
    document.title = `${title} · ${siteName ?? 'Tollgate'}`;
  }, [title, siteName]);
}
