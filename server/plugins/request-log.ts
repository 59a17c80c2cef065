import { Elysia } from 'elysia';
import type { Deps } from '../deps';

/** One JSON log line per request, secrets redacted. (Being built.) */
export const requestLog = (deps: Deps) => {
  void deps;
  return new Elysia({ name: 'request-log' });
};
