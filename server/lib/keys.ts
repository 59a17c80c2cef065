import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_BODY_LENGTH = 40;

// Random bytes are drawn from the system's CSPRNG a page at a time and used once each, in order:
// one randomFillSync per 4 KiB instead of a randomBytes() allocation per id.
const pool = new Uint8Array(4096);
let used = pool.length;

function randomByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const byte = pool[used] as number;
  // never handed out twice
  pool[used++] = 0;
  return byte;
}

/** Uniform random base62 text (rejection sampling, so no character is favoured). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

export function generateApiKey(prefix: string): string {
  return prefix + randomBase62(KEY_BODY_LENGTH);
}

export function randomId(prefix: string, length = 20): string {
  return `${prefix}${randomBase62(length)}`;
}

/** Ids that sort by creation time, so index inserts append instead of landing on random pages. */
export function timeOrderedId(prefix: string): string {
  return `${prefix}${Date.now().toString(36).padStart(9, '0')}${randomBase62(15)}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The shape of a key this gateway issues; anything else is refused before a database lookup. */
export function looksLikeApiKey(key: string, prefix: string): boolean {
  return key.length === prefix.length + KEY_BODY_LENGTH && key.startsWith(prefix) && /^[0-9A-Za-z]+$/.test(key.slice(prefix.length));
}

/** What may be shown and logged: the prefix, four characters, an ellipsis, the last four. */
export function keyHint(key: string, prefix: string): string {
  const body = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return `${key.startsWith(prefix) ? prefix : ''}${body.slice(0, 4)}…${body.slice(-4)}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Compare equal-length buffers always, so the time does not reveal the length difference.
  const same = left.length === right.length;
  return timingSafeEqual(same ? left : right, right) && same;
}
