import { Elysia } from 'elysia';
import type { Deps } from '../deps';

/** CORS for browser clients of the OpenAI-compatible API; none anywhere else. */
export function corsPlugin(_deps: Deps) {
  return new Elysia({ name: 'cors' });
}
