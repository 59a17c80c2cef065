import { Elysia } from 'elysia';
import type { Deps } from '../deps';

/** /docs (interactive, offline) and /docs/json (OpenAPI 3). (Being built.) */
export const docsPlugin = (deps: Deps) => {
  void deps;
  return new Elysia({ name: 'docs' });
};
