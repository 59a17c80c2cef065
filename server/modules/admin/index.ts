import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { catalogRoutes } from './catalog';
import { createAdminContext } from './context';
import { keyRoutes } from './keys';
import { mailRoutes } from './mail';
import { operationsRoutes } from './operations';
import { orderRoutes } from './orders';
import { refusalRoutes } from './refusals';
import { toolPriceRoutes } from './tool-prices';

/** /admin/api: the operator's API (see API.md), every route behind the admin token (plugins/auth.ts guards them all). */
export const adminModule = (deps: Deps) => {
  const ctx = createAdminContext(deps);
  return new Elysia({ name: 'admin' })
    .use(keyRoutes(ctx))
    .use(orderRoutes(ctx))
    .use(mailRoutes(ctx))
    .use(refusalRoutes(ctx))
    .use(catalogRoutes(ctx))
    .use(toolPriceRoutes(ctx))
    .use(operationsRoutes(ctx));
};
