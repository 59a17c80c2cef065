// Small helpers shared by the PayPal simulator: ids, timestamps, JSON answers,
// PayPal-shaped errors, canonical JSON and CRC32.

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random uppercase alphanumerics, like PayPal's resource ids (orders, captures: 17 chars). */
export function randomAlnum(len: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(len));
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

export function randomHex(len: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(len / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, len);
}

/** PayPal's resource ids: 17 uppercase alphanumerics, e.g. 5O190127TN364715T. */
export const newResourceId = (): string => randomAlnum(17);
/** The alphabet of PayPal's payer and merchant ids: `^[2-9A-HJ-NP-Z]{13}$` (no 0, 1, I, O). */
const ACCOUNT_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
/** PayPal payer ids (and merchant ids): 13 characters of ACCOUNT_ALPHABET. */
export function newPayerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(13));
  let out = '';
  for (const b of bytes) out += ACCOUNT_ALPHABET[b % ACCOUNT_ALPHABET.length];
  return out;
}
/** debug_id as PayPal prints it: 13 lowercase hex digits. */
export const newDebugId = (): string => randomHex(13);
/** Webhook event ids: WH-<17>-<17>. */
export const newEventId = (): string => `WH-${randomAlnum(17)}-${randomAlnum(17)}`;

/** RFC 3339 time without milliseconds, as PayPal writes it: 2024-01-01T12:00:00Z. */
export function paypalTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'paypal-debug-id': newDebugId(), ...headers },
  });
}

export interface ErrorDetail {
  field?: string;
  value?: string;
  location?: string;
  issue: string;
  description: string;
}

const ERROR_MESSAGES: Record<string, string> = {
  INVALID_REQUEST: 'Request is not well-formed, syntactically incorrect, or violates schema.',
  UNPROCESSABLE_ENTITY:
    'The requested action could not be performed, semantically incorrect, or failed business validation.',
  RESOURCE_NOT_FOUND: 'The specified resource does not exist.',
  AUTHENTICATION_FAILURE:
    'Authentication failed due to missing authorization header, or invalid authentication credentials.',
  INTERNAL_SERVER_ERROR: 'An internal server error occurred.',
  METHOD_NOT_SUPPORTED: 'The server does not implement the requested HTTP method.',
  SERVICE_UNAVAILABLE: 'Service Unavailable.',
};

/** PayPal's v2 error body: {name, message, debug_id, details[], links[]}. */
export function ppError(status: number, name: string, details: ErrorDetail[] = [], api = 'orders/v2', links: { href: string; rel: string; method: string }[] = []): Response {
  const debugId = newDebugId();
  const first = details[0]?.issue;
  const body: Record<string, unknown> = {
    name,
    message: ERROR_MESSAGES[name] ?? name,
    debug_id: debugId,
  };
  if (details.length > 0) body.details = details;
  body.links = [
    ...links,
    {
      href: `https://developer.paypal.com/docs/api/${api}/#error-${first ?? name}`,
      rel: 'information_link',
      method: 'GET',
    },
  ];
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'paypal-debug-id': debugId },
  });
}

export const unprocessable = (issue: string, description: string, extra: Partial<ErrorDetail> = {}, api?: string) =>
  ppError(422, 'UNPROCESSABLE_ENTITY', [{ ...extra, issue, description }], api);

export const invalidRequest = (details: ErrorDetail[], api?: string) => ppError(400, 'INVALID_REQUEST', details, api);

export const notFound = (api?: string) =>
  ppError(
    404,
    'RESOURCE_NOT_FOUND',
    [{ location: 'path', issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }],
    api,
  );

/** JSON body of a request; undefined for an empty body; Error for malformed JSON. */
export async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new Error('malformed');
  }
}

export const malformedJson = (api?: string) =>
  invalidRequest([{ location: 'body', issue: 'MALFORMED_REQUEST_JSON', description: 'The request JSON is not well formed.' }], api);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted at every level, for comparing events regardless of key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** CRC32 (IEEE) of a string's UTF-8 bytes, as an unsigned decimal — what PayPal's signature covers. */
export function crc32(text: string): number {
  return Bun.hash.crc32(text) >>> 0;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function isAbsoluteHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
