import { Elysia } from 'elysia';
import type { Deps } from '../deps';

/** The buyer's pages and the admin console, embedded in the binary. (Being built.) */
export const webPlugin = (deps: Deps) => {
  void deps;
  return new Elysia({ name: 'web' });
};
