// OAuth 2.0 client credentials (`POST /v1/oauth2/token`) and the bearer check of every REST call.

import { APP_ID, TOKEN_TTL_S, type SimContext } from './context';
import { json, paypalTime, ppError, randomAlnum } from './util';

const SCOPE = [
  'https://uri.paypal.com/services/invoicing',
  'https://uri.paypal.com/services/payments/futurepayments',
  'https://uri.paypal.com/services/payments/realtimepayment',
  'https://uri.paypal.com/services/payments/payment/authcapture',
  'https://uri.paypal.com/services/payments/refund',
  'https://uri.paypal.com/services/payments/payment',
  'https://uri.paypal.com/services/payments/orders/client-side-integration',
  'https://uri.paypal.com/services/applications/webhooks',
  'openid',
].join(' ');

const invalidClient = () =>
  json({ error: 'invalid_client', error_description: 'Client Authentication failed' }, 401);

function parseBasic(header: string | null): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  let decoded: string;
  try {
    decoded = Buffer.from(m[1], 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

export async function handleToken(ctx: SimContext, req: Request): Promise<Response> {
  const creds = parseBasic(req.headers.get('authorization'));
  if (!creds || creds.id !== ctx.cfg.clientId || creds.secret !== ctx.cfg.clientSecret) return invalidClient();
  const form = new URLSearchParams(await req.text());
  const grant = form.get('grant_type');
  if (grant === null || grant === '') {
    return json({ error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' }, 400);
  }
  if (grant !== 'client_credentials') {
    return json({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type' }, 400);
  }
  // PayPal hands out the same token until it nears expiry.
  const now = Date.now();
  let token: string | undefined;
  let expiresAt = 0;
  for (const [t, exp] of ctx.tokens) {
    if (exp - now > 60_000 && exp > expiresAt) {
      token = t;
      expiresAt = exp;
    }
  }
  if (token === undefined) {
    token = `A21AA${randomAlnum(92)}`;
    expiresAt = now + TOKEN_TTL_S * 1000;
    ctx.tokens.set(token, expiresAt);
  }
  return json({
    scope: SCOPE,
    access_token: token,
    token_type: 'Bearer',
    app_id: APP_ID,
    expires_in: Math.floor((expiresAt - now) / 1000),
    nonce: `${paypalTime()}${randomAlnum(43)}`,
  });
}

/** undefined when the bearer token is valid, else PayPal's 401 AUTHENTICATION_FAILURE. */
export function checkBearer(ctx: SimContext, req: Request): Response | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '');
  const exp = m?.[1] === undefined ? undefined : ctx.tokens.get(m[1]);
  if (exp !== undefined && exp > Date.now()) return undefined;
  return ppError(401, 'AUTHENTICATION_FAILURE', [], 'overview');
}
