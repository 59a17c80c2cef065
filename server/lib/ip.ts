import { isIP } from 'node:net';

// Client addresses: parsed with node:net's isIP (nothing else becomes an address), written in one
// canonical form so the same client is always the same string, and grouped the way limits count
// them: an IPv4 address alone, an IPv6 address by its /64 (one subscriber's network: a single
// customer line or VPS gets a whole /64 and can pick any address in it).

/** 4 bytes for IPv4, 16 for IPv6. */
type IpBytes = Uint8Array;

/** "1.2.3.4", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443" or "1.2.3.4:5678" (some proxies add the port) → the address bytes; null for anything else. */
function parseIp(text: string): IpBytes | null {
  let value = text.trim();
  if (value.length === 0 || value.length > 64) return null;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    if (close < 0 || (close !== value.length - 1 && !/^:\d{1,5}$/.test(value.slice(close + 1)))) return null;
    value = value.slice(1, close);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/.test(value)) {
    value = value.slice(0, value.lastIndexOf(':'));
  }
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  const family = isIP(value);
  if (family === 4) return Uint8Array.from(value.split('.'), Number);
  if (family === 6) return ipv6Bytes(value.toLowerCase());
  return null;
}

function ipv6Bytes(text: string): IpBytes {
  const bytes = new Uint8Array(16);
  let groups = text;
  // an embedded IPv4 tail ("::ffff:1.2.3.4") becomes the last two groups
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    groups = `${groups.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const all = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  all.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** An IPv4-mapped IPv6 address (what a dual-stack socket reports for an IPv4 peer) is that IPv4 address. */
function unmapped(bytes: IpBytes): IpBytes {
  return bytes.length === 16 && IPV4_MAPPED_PREFIX.every((b, i) => bytes[i] === b) ? bytes.slice(12) : bytes;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups as "::". */
function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return bestStart < 0 ? hex(0, 8) : `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** The canonical text of an IP address, or null when `text` is not one (`<script>`, "unknown", a host name…). */
export function canonicalIp(text: string): string | null {
  const bytes = parseIp(text);
  return bytes === null ? null : formatIp(unmapped(bytes));
}

/**
 * What a per-address limit counts: an IPv4 address itself, an IPv6 address's /64 ("2001:db8:1:2::/64").
 * Takes a canonical address (from canonicalIp); anything else is its own group.
 */
export function addressGroup(address: string): string {
  if (!address.includes(':')) return address;
  const bytes = parseIp(address);
  if (bytes === null || bytes.length !== 16) return address;
  bytes.fill(0, 8);
  return `${formatIp(bytes)}/64`;
}

interface IpRange {
  bytes: IpBytes;
  bits: number;
}

/** "10.0.0.0/8", "fd00::/8", or a single address (all its bits); null when it is neither. */
export function parseIpRange(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) return null;
  const address = unmapped(bytes);
  if (slash < 0) return { bytes: address, bits: address.length * 8 };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  let bits = Number(bitsText);
  // "::ffff:10.0.0.0/104" is 10.0.0.0/8
  if (address.length === 4 && bytes.length === 16) bits -= 96;
  if (bits < 0 || bits > address.length * 8) return null;
  return { bytes: address, bits };
}

function inRange(address: IpBytes, range: IpRange): boolean {
  if (address.length !== range.bytes.length) return false;
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] as number) & mask) !== ((range.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** A test for "is this canonical address one of these addresses or inside one of these ranges". */
export function ipMatcher(entries: readonly string[]): (address: string) => boolean {
  const exact = new Set<string>();
  const ranges: IpRange[] = [];
  for (const entry of entries) {
    const range = parseIpRange(entry);
    if (range === null) continue;
    if (range.bits === range.bytes.length * 8) exact.add(formatIp(range.bytes));
    else ranges.push(range);
  }
  return (address) => {
    if (exact.has(address)) return true;
    if (ranges.length === 0) return false;
    const bytes = parseIp(address);
    return bytes !== null && ranges.some((range) => inRange(unmapped(bytes), range));
  };
}

const LOOPBACK = ipMatcher(['127.0.0.0/8', '::1']);
const PRIVATE = ipMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']);

/** 127.0.0.0/8 and ::1. */
export const isLoopback = (address: string): boolean => LOOPBACK(address);

/** Addresses of a private network (RFC 1918, carrier-grade NAT, link-local, IPv6 unique-local): where containers and LAN proxies sit. */
export const isPrivateAddress = (address: string): boolean => PRIVATE(address);
