// The PayPal simulator served on loopback with every answer recorded, so the tests that use it can
// check afterwards that all they saw is what PayPal's documents allow (paypal-contract.ts).

import { createPayPalSimulator, type PayPalSimulatorOptions } from '../../server/simulators/paypal';
import { checkAll, type Exchange } from './paypal-contract';

export function startRecordedPayPal(opts: PayPalSimulatorOptions = {}) {
  const sim = createPayPalSimulator(opts);
  const exchanges: Exchange[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 120, // injected timeouts hold requests for a while
    async fetch(req) {
      const res = await sim.fetch(req);
      const text = await res.clone().text();
      let body: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text: the check reports it
        }
      }
      const requestId = req.headers.get('paypal-request-id') ?? undefined;
      exchanges.push({ method: req.method, path: new URL(req.url).pathname.slice(sim.basePath.length) || '/', status: res.status, body, ...(requestId ? { requestId } : {}) });
      return res;
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  sim.setPublicUrl(url);
  return {
    url: url + sim.basePath,
    port: server.port ?? 0,
    sim,
    exchanges,
    /** Everything recorded so far, checked against PayPal's documents: the violations, none when faithful. */
    contractViolations: () => checkAll(exchanges, sim.sentEvents()).violations,
    async stop() {
      sim.close();
      await server.stop(true);
    },
  };
}

export type RecordedPayPal = ReturnType<typeof startRecordedPayPal>;
