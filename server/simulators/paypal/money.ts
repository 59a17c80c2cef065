// Money for the simulator: decimal strings <-> integer minor units (bigint), PayPal's fee.

import type { ErrorDetail } from './util';

export interface Money {
  currency_code: string;
  value: string;
}

/** Currencies PayPal accepts for payments (developer.paypal.com/reference/currency-codes). */
const SUPPORTED = new Set([
  'AUD', 'BRL', 'CAD', 'CNY', 'CZK', 'DKK', 'EUR', 'HKD', 'HUF', 'ILS', 'JPY', 'MYR',
  'MXN', 'TWD', 'NZD', 'NOK', 'PHP', 'PLN', 'GBP', 'SGD', 'SEK', 'CHF', 'THB', 'USD',
]);
/** PayPal accepts no decimals for these. */
const NO_DECIMALS = new Set(['HUF', 'JPY', 'TWD']);

export const decimalsOf = (currency: string): number => (NO_DECIMALS.has(currency) ? 0 : 2);

/** PayPal's pattern for amount.value (orders v2 `amount_with_breakdown.value`). */
const VALUE_RE = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;

export function formatMinor(minor: bigint, currency: string): string {
  const d = decimalsOf(currency);
  if (d === 0) return minor.toString();
  const neg = minor < 0n;
  const abs = neg ? -minor : minor;
  const s = abs.toString().padStart(d + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -d)}.${s.slice(-d)}`;
}

export const money = (minor: bigint, currency: string): Money => ({ currency_code: currency, value: formatMinor(minor, currency) });

export type ParsedAmount = { ok: true; currency: string; minor: bigint } | { ok: false; status: 400 | 422; detail: ErrorDetail };

/**
 * Validates an `amount` object the way PayPal does: schema problems are 400 INVALID_REQUEST,
 * business rules (zero, precision, unsupported currency) 422 UNPROCESSABLE_ENTITY.
 */
export function parseAmount(amount: unknown, field: string): ParsedAmount {
  const bad = (status: 400 | 422, issue: string, description: string, f = field, value?: string): ParsedAmount => ({
    ok: false,
    status,
    detail: { field: f, ...(value === undefined ? {} : { value }), location: 'body', issue, description },
  });
  if (typeof amount !== 'object' || amount === null || Array.isArray(amount)) {
    return bad(400, 'MISSING_REQUIRED_PARAMETER', 'A required parameter is missing.');
  }
  const a = amount as Record<string, unknown>;
  const cur = a.currency_code;
  const val = a.value;
  if (cur === undefined) return bad(400, 'MISSING_REQUIRED_PARAMETER', 'A required parameter is missing.', `${field}/currency_code`);
  if (val === undefined) return bad(400, 'MISSING_REQUIRED_PARAMETER', 'A required parameter is missing.', `${field}/value`);
  if (typeof cur !== 'string' || !/^[A-Z]{3}$/.test(cur)) {
    return bad(400, 'INVALID_PARAMETER_SYNTAX', 'The value of a field does not conform to the expected format.', `${field}/currency_code`, String(cur));
  }
  if (typeof val !== 'string' || val.length > 32 || !VALUE_RE.test(val)) {
    return bad(400, 'INVALID_PARAMETER_SYNTAX', 'The value of a field does not conform to the expected format.', `${field}/value`, String(val));
  }
  if (!SUPPORTED.has(cur)) {
    return bad(
      422,
      'INVALID_CURRENCY_CODE',
      'Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/api/rest/reference/currency-codes/ for list of supported currency codes.',
      `${field}/currency_code`,
      cur,
    );
  }
  const neg = val.startsWith('-');
  const body = neg ? val.slice(1) : val;
  const [intPart = '', frac = ''] = body.split('.');
  const d = decimalsOf(cur);
  if (frac.length > d) {
    return bad(422, 'DECIMAL_PRECISION', d === 0
      ? 'This field does not support decimals for the currency.'
      : 'If the currency supports decimals, only two decimal place precision is supported.', `${field}/value`, val);
  }
  const minor = BigInt((intPart || '0') + frac.padEnd(d, '0'));
  if (neg || minor === 0n) {
    return bad(422, 'CANNOT_BE_ZERO_OR_NEGATIVE', 'Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported.', `${field}/value`, val);
  }
  return { ok: true, currency: cur, minor };
}

/** PayPal's standard domestic rate for PayPal Checkout: 3.49 % + a fixed fee (0.49 in 2-decimal currencies). */
export function paypalFee(grossMinor: bigint, currency: string): bigint {
  const fixed = decimalsOf(currency) === 0 ? 40n : 49n;
  const fee = (grossMinor * 349n + 5_000n) / 10_000n + fixed;
  return fee > grossMinor ? grossMinor : fee;
}

/** The part of the fee PayPal gives back on a refund: the percentage part, pro rata. */
export function refundedFee(refundMinor: bigint): bigint {
  return (refundMinor * 349n + 5_000n) / 10_000n;
}
