import { Elysia } from 'elysia';
import type { Deps } from '../../deps';

/** /admin/api: the operator's API (see API.md). (Being built.) */
export const adminModule = (deps: Deps) => {
  void deps;
  return new Elysia({ name: 'admin' });
};
