import type { DB } from './client';
import { apiKeys, upstreamKeys } from './schema';

/** One value sealed with the server secret (a buyer key, else an upstream key), to check the secret against. */
export function anySealedValue(db: DB): string | undefined {
  const buyer = db.select({ sealed: apiKeys.keyEncrypted }).from(apiKeys).limit(1).get();
  if (buyer) return buyer.sealed;
  return db.select({ sealed: upstreamKeys.keyEncrypted }).from(upstreamKeys).limit(1).get()?.sealed;
}
