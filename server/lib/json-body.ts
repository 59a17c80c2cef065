import { Err } from '../errors';

// A request body read as JSON with the limits the HTTP layer cannot give us: the Content-Length
// check in app.ts misses chunked bodies, and Elysia's own parser would decode broken UTF-8 into
// U+FFFD and hand the JSON parser an unbounded nesting depth.

/** Deeper than any chat body a client sends; deep enough to be no limit in practice. */
export const MAX_JSON_DEPTH = 512;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Reads at most `limit` bytes; more answers 413 and stops reading. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  // With a Content-Length (checked against the limit in app.ts) Bun's native read is the fast path;
  // a JS reader over the body costs more than the rest of a small request's handling.
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= limit) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw Err.requestTooLarge(limit);
    }
    chunks.push(value as Uint8Array<ArrayBuffer>);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Parses a JSON body: 413 over `limit` bytes, 400 for bytes that are not UTF-8, not JSON, or nested too deep. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const bytes = await readBodyBytes(request, limit);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw Err.invalidUtf8();
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw Err.invalidBody(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw Err.invalidJson();
  }
}

/** The deepest nesting of arrays and objects, skipping strings; stops counting once past the limit. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Jump to the closing quote with indexOf: most of a chat body is string, and a JS loop over
      // each of its characters cost several times the JSON.parse that follows.
      i = closingQuote(text, i);
      if (i < 0) return deepest;
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > MAX_JSON_DEPTH) return deepest;
      }
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return deepest;
}

/** The index of the quote that ends the string opened at `open`, or -1 when it never ends. */
function closingQuote(text: string, open: number): number {
  for (let from = open + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    // an odd run of backslashes before it escapes it
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
