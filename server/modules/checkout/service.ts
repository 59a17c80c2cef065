import type { Config } from '../../config';
import type { DB } from '../../db/client';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { AuditLog } from '../admin/audit';
import type { CatalogService } from '../catalog/service';
import type { MeteringService } from '../metering/service';

export interface CheckoutDeps {
  config: Config;
  db: DB;
  clock: Clock;
  log: Logger;
  catalog: CatalogService;
  metering: MeteringService;
  audit: AuditLog;
}

/** Orders, the PayPal client, capture and crediting, webhooks, order lookup. (Being built.) */
export function createCheckoutService(deps: CheckoutDeps) {
  void deps;
  return {
    /** Starts background work (the reconciler). */
    start(): void {},
    /** Stops background work; called on shutdown. */
    stop(): void {},
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
