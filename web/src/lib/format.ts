import type { Lang } from '../i18n';

const USD_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Money as people read it, from the API's nine-decimal USD strings (no floats involved): dollars
 * with two decimals, rounded to the cent ("4.253000000" → "$4.25"); an amount under a cent keeps
 * three significant digits ("0.000513000" → "$0.000513", "0.004256000" → "$0.00426"), so a
 * request's cost never shows as $0.00. The exact amount is usdExact() (hover titles, CSV).
 */
export function usd(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const nano = parseNano(value);
  if (nano === null) return value;
  const abs = nano < 0n ? -nano : nano;
  const sign = nano < 0n ? '−' : '';
  if (abs === 0n) return '$0.00';
  if (abs >= CENT) {
    const cents = (abs + CENT / 2n) / CENT;
    return `${sign}$${group((cents / 100n).toString())}.${(cents % 100n).toString().padStart(2, '0')}`;
  }
  // under a cent: three significant digits, rounded half up, trailing zeros dropped
  const digits = abs.toString().length;
  const drop = BigInt(10) ** BigInt(Math.max(0, digits - 3));
  const rounded = ((abs + drop / 2n) / drop) * drop;
  const fraction = rounded.toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}$0.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`;
}

/** The exact amount, all nine decimals: "$4.253000000" (what a hover title shows). */
export function usdExact(value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const nano = parseNano(value);
  if (nano === null) return value;
  const abs = nano < 0n ? -nano : nano;
  return `${nano < 0n ? '−' : ''}$${group((abs / NANO).toString())}.${(abs % NANO).toString().padStart(9, '0')}`;
}

const CENT = 10_000_000n;

function group(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function parseNano(value: string): bigint | null {
  const match = USD_PATTERN.exec(value.trim());
  if (!match) return null;
  const [, sign, whole = '0', fraction = ''] = match;
  const n = BigInt(whole) * NANO + BigInt(fraction.padEnd(9, '0').slice(0, 9) || '0');
  return sign ? -n : n;
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

/** "about 8,300": two significant figures are as much as a rough estimate can claim. */
export function roughCount(n: number, lang: Lang): string {
  if (n < 100) return integer(n, lang);
  const step = 10 ** (Math.floor(Math.log10(n)) - 1);
  return integer(Math.round(n / step) * step, lang);
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
  return parseNano(value) ?? 0n;
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
