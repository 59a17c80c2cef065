import { Elysia, t } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';

export const opsModule = (deps: Deps) =>
  new Elysia({ name: 'ops' }).get(
    '/healthz',
    () => {
      try {
        deps.database.sqlite.query('SELECT 1').get();
      } catch {
        throw Err.serviceUnavailable('database unavailable', 'database_unavailable');
      }
      return { status: 'ok' as const, database: 'ok' as const };
    },
    {
      response: t.Object({ status: t.Literal('ok'), database: t.Literal('ok') }),
      detail: { tags: ['Operations'], summary: 'Liveness with a database check' },
    },
  );
