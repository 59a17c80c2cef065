import { Elysia } from 'elysia';
import type { Deps } from '../../deps';

export const checkoutModule = (deps: Deps) => {
  void deps;
  return new Elysia({ name: 'checkout' });
};
