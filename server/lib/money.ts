// Money is integer nano-USD (1 USD = 1e9). This is the only place that converts to and from text.
const NANO = 1_000_000_000;

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/** Parses "12.345" (USD, up to 9 decimals, no sign) into nano-USD. Throws on anything else. */
export function parseUsd(text: string): number {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new RangeError(`not a USD amount: ${JSON.stringify(text)}`);
  const whole = Number(match[1]);
  const frac = Number((match[2] ?? '').padEnd(9, '0'));
  const nano = whole * NANO + frac;
  if (!Number.isSafeInteger(nano)) throw new RangeError(`USD amount too large: ${text}`);
  return nano;
}

/** nano-USD → "1.234000000" (nine decimals, as the CONTRACT's JSON money fields). */
export function formatUsd(nano: number): string {
  return toDecimal(nano, 9);
}

/** nano-USD → "1.23" with exactly `decimals` places; refuses to drop non-zero digits. */
export function formatUsdExact(nano: number, decimals: number): string {
  const unit = 10 ** (9 - decimals);
  if (nano % unit !== 0) throw new RangeError(`${nano} nano-USD has more than ${decimals} decimals`);
  return toDecimal(nano, decimals);
}

/** nano-USD → PayPal's amount value ("5.00"); PayPal takes two decimals for USD. */
export function formatPayPalAmount(nano: number): string {
  return formatUsdExact(nano, 2);
}

/** A price in USD per million tokens → nano-USD per token; must be a whole number. */
export function usdPerMillionToNanoPerToken(text: string): number {
  const nanoPerMillion = parseUsd(text);
  if (nanoPerMillion % 1_000_000 !== 0) {
    throw new RangeError(`price ${text} USD/1M tokens is finer than 0.001 USD per 1M tokens`);
  }
  return nanoPerMillion / 1_000_000;
}

/** nano-USD per token → USD per million tokens as trimmed decimal text ("0.3"). */
export function nanoPerTokenToUsdPerMillion(nanoPerToken: number): string {
  return trimZeros(toDecimal(nanoPerToken * 1_000_000, 9));
}

function toDecimal(nano: number, decimals: number): string {
  if (!Number.isSafeInteger(nano)) throw new RangeError(`not an integer amount: ${nano}`);
  const sign = nano < 0 ? '-' : '';
  const abs = Math.abs(nano);
  const whole = Math.floor(abs / NANO);
  const frac = String(abs % NANO).padStart(9, '0').slice(0, decimals);
  return decimals === 0 ? `${sign}${whole}` : `${sign}${whole}.${frac}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
