import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { loadAdminToken } from '../../lib/crypto';
import { adminAuth } from '../../plugins/auth';
import { catalogRoutes } from './catalog';
import { createAdminContext } from './context';
import { keyRoutes } from './keys';
import { mailRoutes } from './mail';
import { operationsRoutes } from './operations';
import { orderRoutes } from './orders';

/** /admin/api: the operator's API (see API.md), every route behind the admin token. */
export const adminModule = (deps: Deps) => {
  // The same token startGateway loaded (the file exists by now when it was generated).
  const { token } = loadAdminToken(deps.config.dataDir, deps.config.adminToken);
  const ctx = createAdminContext(deps);
  return new Elysia({ name: 'admin' })
    .use(adminAuth(token, deps.config.trustedProxies))
    .use(keyRoutes(ctx))
    .use(orderRoutes(ctx))
    .use(mailRoutes(ctx))
    .use(catalogRoutes(ctx))
    .use(operationsRoutes(ctx));
};
