// The simulator's webhook signing identity: an RSA-2048 key generated at start and a
// self-signed X.509 certificate for it (served at PAYPAL-CERT-URL), signatures in
// SHA256withRSA over `transmissionId|transmissionTime|webhookId|crc32(body)` as PayPal does.

const ALG: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

// ---- minimal DER encoding -------------------------------------------------

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return [0x80 | bytes.length, ...bytes];
}

type Bytes = Uint8Array<ArrayBuffer>;

function tlv(tag: number, content: Uint8Array | number[]): Bytes {
  const c = content instanceof Uint8Array ? content : Uint8Array.from(content);
  const head = [tag, ...len(c.length)];
  const out = new Uint8Array(head.length + c.length);
  out.set(head, 0);
  out.set(c, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Bytes {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, concat(parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, concat(parts));
const oid = (bytes: number[]) => tlv(0x06, bytes);
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const printable = (s: string) => tlv(0x13, new TextEncoder().encode(s));
const utcTime = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(s));
};
function integer(bytes: Uint8Array): Bytes {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1] ?? 0) < 0x80) b = b.subarray(1);
  if ((b[0] ?? 0) >= 0x80) b = concat([Uint8Array.of(0), b]);
  return tlv(0x02, b);
}
const bitString = (bytes: Uint8Array) => tlv(0x03, concat([Uint8Array.of(0), bytes]));

const OID_SHA256_RSA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_CN = [0x55, 0x04, 0x03];
const OID_O = [0x55, 0x04, 0x0a];
const OID_C = [0x55, 0x04, 0x06];

function name(cn: string): Bytes {
  return seq(
    set(seq(oid(OID_C), printable('US'))),
    set(seq(oid(OID_O), utf8('PayPal Simulator'))),
    set(seq(oid(OID_CN), utf8(cn))),
  );
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface Signer {
  /** The certificate (PEM) served at the cert URL. */
  certPem: string;
  /** The public key (PEM, SPKI). */
  publicKeyPem: string;
  sign(message: string): Promise<string>;
  verify(message: string, signatureB64: string): Promise<boolean>;
}

export async function createSigner(): Promise<Signer> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const algId = seq(oid(OID_SHA256_RSA), tlv(0x05, []));
  const now = Date.now();
  const tbs = seq(
    tlv(0xa0, integer(Uint8Array.of(2))),
    integer(crypto.getRandomValues(new Uint8Array(16))),
    algId,
    name('PayPal Simulator CA'),
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 365 * 86_400_000))),
    name('messageverificationcerts.paypal-simulator.local'),
    spki,
  );
  const tbsSig = new Uint8Array(await crypto.subtle.sign(ALG.name, keys.privateKey, tbs));
  const cert = seq(tbs, algId, bitString(tbsSig));

  return {
    certPem: pem('CERTIFICATE', cert),
    publicKeyPem: pem('PUBLIC KEY', spki),
    async sign(message) {
      const sig = await crypto.subtle.sign(ALG.name, keys.privateKey, new TextEncoder().encode(message));
      return Buffer.from(sig).toString('base64');
    },
    async verify(message, signatureB64) {
      let sig: Bytes;
      try {
        sig = Uint8Array.from(Buffer.from(signatureB64, 'base64'));
      } catch {
        return false;
      }
      if (sig.length === 0) return false;
      return crypto.subtle.verify(ALG.name, keys.publicKey, sig, new TextEncoder().encode(message));
    },
  };
}
