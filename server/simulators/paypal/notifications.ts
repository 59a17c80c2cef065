// Webhooks v1 REST: verify-webhook-signature, the signing certificate, show/resend an event.

import type { SimContext } from './context';
import { canonicalJson, crc32, isObject, json, malformedJson, newDebugId, notFound, ppError, readJson } from './util';
import { AUTH_ALGO } from './webhooks';

const API = 'webhooks/v1';
const REQUIRED = ['auth_algo', 'cert_url', 'transmission_id', 'transmission_sig', 'transmission_time', 'webhook_id'] as const;

function validationError(fields: string[]): Response {
  return ppError(
    400,
    'INVALID_REQUEST',
    fields.map((field) => ({ field: `/${field}`, location: 'body', issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.' })),
    API,
  );
}

/**
 * SUCCESS only for an event this simulator really sent, handed back unmodified: the transmission
 * exists, every header value matches, the webhook id is the registered one, the event is equal
 * (key order aside) to what was sent, and the RSA signature checks out.
 */
export async function verifyWebhookSignature(ctx: SimContext, req: Request): Promise<Response> {
  const body = await readJson(req);
  if (body instanceof Error) return malformedJson(API);
  if (!isObject(body)) return validationError([...REQUIRED, 'webhook_event']);
  const missing: string[] = REQUIRED.filter((k) => typeof body[k] !== 'string' || body[k] === '');
  if (!isObject(body.webhook_event)) missing.push('webhook_event');
  if (missing.length > 0) return validationError(missing);
  const s = (k: (typeof REQUIRED)[number]) => String(body[k]);

  const result = (ok: boolean) => json({ verification_status: ok ? 'SUCCESS' : 'FAILURE' });
  const sent = ctx.hub.getTransmission(s('transmission_id'));
  if (!sent) return result(false);
  if (s('auth_algo') !== AUTH_ALGO) return result(false);
  if (s('cert_url') !== sent.certUrl) return result(false);
  if (s('transmission_time') !== sent.transmissionTime) return result(false);
  if (s('transmission_sig') !== sent.transmissionSig) return result(false);
  if (s('webhook_id') !== sent.webhookId || s('webhook_id') !== ctx.cfg.webhookId) return result(false);
  if (canonicalJson(body.webhook_event) !== sent.canonical) return result(false);
  const signer = await ctx.hub.getSigner();
  const message = `${s('transmission_id')}|${s('transmission_time')}|${s('webhook_id')}|${crc32(sent.body)}`;
  return result(await signer.verify(message, s('transmission_sig')));
}

export async function getCert(ctx: SimContext, certId: string): Promise<Response> {
  if (certId !== ctx.hub.certId) {
    return json({ name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', debug_id: newDebugId() }, 404);
  }
  const signer = await ctx.hub.getSigner();
  return new Response(signer.certPem, { headers: { 'content-type': 'application/x-pem-file' } });
}

const eventNotFound = (): Response => notFound(API);

export function getEvent(ctx: SimContext, id: string): Response {
  const sent = ctx.hub.getEvent(id);
  return sent ? json(sent.event) : eventNotFound();
}

export async function resendEvent(ctx: SimContext, req: Request, id: string): Promise<Response> {
  const res = await ctx.hub.resend(id, ctx.base(req));
  return res ? json(ctx.hub.getEvent(id)?.event ?? {}, 202) : eventNotFound();
}
