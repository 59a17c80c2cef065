import type { ComponentChildren } from 'preact';
import type { AsyncState } from './hooks';
import { ErrorNotice, Loading } from './ui';

/** The data of an async load once it is there; until then a spinner, or its error with a retry. */
export function Loaded<T>(props: { state: AsyncState<T>; children: (data: T) => ComponentChildren }) {
  const { state } = props;
  if (state.data !== undefined) return <>{props.children(state.data)}</>;
  if (state.error !== undefined) return <ErrorNotice error={state.error} onRetry={state.reload} />;
  return <Loading />;
}
