import type { Stores } from '../backend';

/** One value sealed with the server secret (a buyer key, else an upstream key), to check the secret against. */
export async function anySealedValue(stores: Pick<Stores, 'metering' | 'upstreams'>): Promise<string | undefined> {
  return (await stores.metering.anySealedSecret()) ?? (await stores.upstreams.anySealedKey());
}
