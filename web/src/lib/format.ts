import type { Lang } from '../i18n';

const USD_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Formats the API's nine-decimal USD strings for people: "5.000000000" → "$5.00",
 * "0.006000000" → "$0.006". Trailing zeros go, at least `minDecimals` stay. No floats involved.
 */
export function usd(value: string | null | undefined, minDecimals = 2): string {
  if (value === null || value === undefined) return '—';
  const match = USD_PATTERN.exec(value.trim());
  if (!match) return value;
  const [, sign = '', whole = '0', fraction = ''] = match;
  let decimals = fraction.replace(/0+$/, '');
  if (decimals.length < minDecimals) decimals = decimals.padEnd(minDecimals, '0');
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const isZero = /^0*$/.test(whole) && /^0*$/.test(fraction);
  return `${sign && !isZero ? '−' : ''}$${grouped}${decimals ? `.${decimals}` : ''}`;
}

/** The API's nine-decimal USD string as an input's text: "5.500000000" → "5.5", "10.000000000" → "10". */
export function usdInput(value: string): string {
  return value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** For charts and gauges only: never for arithmetic on money that is shown as exact. */
export function usdNumber(value: string | null | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en-US');

export function integer(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang)).format(n);
}

export function percent(ratio: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function dateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** "Nov 2" / "11月2日": a date inside a short span (a chart's 30 days), read in UTC for a plain date. */
export function monthDay(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(lang), { month: 'short', day: 'numeric', timeZone: iso.length === 10 ? 'UTC' : undefined }).format(d);
}

export function dateOnly(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeZone: iso.length === 10 ? 'UTC' : undefined }).format(d);
}

/** Fills {name} placeholders in a dictionary string. */
export function fmt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

const NANO = 1_000_000_000n;

function toNano(value: string): bigint {
  const match = USD_PATTERN.exec(value.trim());
  if (!match) return 0n;
  const [, sign, whole = '0', fraction = ''] = match;
  const n = BigInt(whole) * NANO + BigInt(fraction.padEnd(9, '0').slice(0, 9) || '0');
  return sign ? -n : n;
}

function nanoToUsd(total: bigint): string {
  const abs = total < 0n ? -total : total;
  return `${total < 0n ? '-' : ''}${abs / NANO}.${(abs % NANO).toString().padStart(9, '0')}`;
}

/** Adds nine-decimal USD strings exactly (BigInt nano-USD), returning the same format. */
export function sumUsd(values: string[]): string {
  return nanoToUsd(values.reduce((n, v) => n + toNano(v), 0n));
}

/** The exact cost of `tokens` at a price in USD per 1M tokens (rounded down to the nano-USD). */
export function costOf(tokens: number, perMillionUsd: string): string {
  return nanoToUsd((BigInt(tokens) * toNano(perMillionUsd)) / 1_000_000n);
}
