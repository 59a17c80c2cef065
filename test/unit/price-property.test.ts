import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { formatUsd, nanoPerTokenToUsdPerMillion, parseUsd, usdPerMillionToNanoPerToken } from '../../server/lib/money';
import { costOf, type TokenPrices, type Usage } from '../../server/modules/catalog/price-book';

// Properties over random token counts and prices: money stays whole nano-USD, with no drift.

const RUNS = { numRuns: 500 };
const MAX_TOKENS = 10_000_000; // far past any context window
const MAX_PRICE = 1_000_000; // nano-USD per token = 1,000 USD per million tokens

const tokens = fc.integer({ min: 0, max: MAX_TOKENS });
const usageArb = fc.record({ cacheHitTokens: tokens, cacheMissTokens: tokens, outputTokens: tokens, reasoningTokens: tokens });
const pricesArb = fc.record({
  cacheHitNano: fc.integer({ min: 0, max: MAX_PRICE }),
  cacheMissNano: fc.integer({ min: 0, max: MAX_PRICE }),
  outputNano: fc.integer({ min: 0, max: MAX_PRICE }),
});
const CLASSES = ['cacheHitTokens', 'cacheMissTokens', 'outputTokens'] as const;

const bigCost = (u: Usage, p: TokenPrices) =>
  BigInt(u.cacheHitTokens) * BigInt(p.cacheHitNano) + BigInt(u.cacheMissTokens) * BigInt(p.cacheMissNano) + BigInt(u.outputTokens) * BigInt(p.outputNano);

describe('the cost of a request', () => {
  it('is a whole, non-negative number of nano-USD, equal to exact big-integer arithmetic', () => {
    fc.assert(
      fc.property(usageArb, pricesArb, (usage, prices) => {
        const cost = costOf(usage, prices);
        expect(Number.isSafeInteger(cost)).toBe(true);
        expect(cost).toBeGreaterThanOrEqual(0);
        expect(BigInt(cost)).toBe(bigCost(usage, prices));
      }),
      RUNS,
    );
  });

  it('is additive: two requests cost what their summed tokens cost, per token class', () => {
    fc.assert(
      fc.property(usageArb, usageArb, pricesArb, (a, b, prices) => {
        const sum = { cacheHitTokens: a.cacheHitTokens + b.cacheHitTokens, cacheMissTokens: a.cacheMissTokens + b.cacheMissTokens, outputTokens: a.outputTokens + b.outputTokens, reasoningTokens: 0 };
        expect(costOf(sum, prices)).toBe(costOf(a, prices) + costOf(b, prices));
      }),
      RUNS,
    );
  });

  it('never falls when any one token count grows', () => {
    fc.assert(
      fc.property(usageArb, pricesArb, fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: MAX_TOKENS }), (usage, prices, kind, more) => {
        expect(costOf({ ...usage, [kind]: usage[kind] + more }, prices)).toBeGreaterThanOrEqual(costOf(usage, prices));
      }),
      RUNS,
    );
  });

  it('does not charge reasoning tokens twice: they are inside the output count', () => {
    fc.assert(
      fc.property(usageArb, pricesArb, tokens, (usage, prices, reasoning) => {
        expect(costOf({ ...usage, reasoningTokens: reasoning }, prices)).toBe(costOf(usage, prices));
      }),
      RUNS,
    );
  });

  it('is exact for known values', () => {
    // deepseek-v4-flash-like prices: 0.028 / 0.28 / 0.42 USD per million tokens
    const prices = { cacheHitNano: usdPerMillionToNanoPerToken('0.028'), cacheMissNano: usdPerMillionToNanoPerToken('0.28'), outputNano: usdPerMillionToNanoPerToken('0.42') };
    expect(prices).toEqual({ cacheHitNano: 28, cacheMissNano: 280, outputNano: 420 });
    expect(costOf({ cacheHitTokens: 1_000_000, cacheMissTokens: 1_000_000, outputTokens: 1_000_000, reasoningTokens: 0 }, prices)).toBe(728_000_000);
    expect(formatUsd(costOf({ cacheHitTokens: 3, cacheMissTokens: 11, outputTokens: 7, reasoningTokens: 5 }, prices))).toBe('0.000006104');
    expect(costOf({ cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 }, prices)).toBe(0);
  });

  it('refuses, rather than rounds, counts and prices past the exact range of a double', () => {
    const zero = { cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    const prices = { cacheHitNano: 1, cacheMissNano: 1, outputNano: 1 };
    expect(costOf({ ...zero, outputTokens: Number.MAX_SAFE_INTEGER }, prices)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => costOf({ ...zero, outputTokens: Number.MAX_SAFE_INTEGER, cacheMissTokens: 1 }, prices)).toThrow(RangeError);
    expect(() => costOf({ ...zero, outputTokens: 2 ** 40 }, { ...prices, outputNano: 2 ** 20 })).toThrow(RangeError);
    expect(() => costOf({ ...zero, outputTokens: -1 }, prices)).toThrow(RangeError);
    expect(() => costOf({ ...zero, outputTokens: 1.5 }, prices)).toThrow(RangeError);
    expect(() => costOf({ ...zero, outputTokens: Number.NaN }, prices)).toThrow(RangeError);
    expect(() => costOf(zero, { ...prices, outputNano: -3 })).toThrow(RangeError);
  });
});

describe('money as text', () => {
  const safeNano = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

  it('formats any whole nano amount with nine decimals and parses it back to the same integer', () => {
    fc.assert(
      fc.property(safeNano, (nano) => {
        const text = formatUsd(nano);
        expect(text).toMatch(/^\d+\.\d{9}$/);
        expect(parseUsd(text)).toBe(nano);
        // the text is the exact decimal, digit for digit
        expect(text.replace('.', '').replace(/^0+(?=\d)/, '')).toBe(String(nano));
      }),
      { numRuns: 2000 },
    );
  });

  it('formats negative amounts with a sign and the same digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (nano) => {
        expect(formatUsd(-nano)).toBe(`-${formatUsd(nano)}`);
      }),
      RUNS,
    );
  });

  it('parses any decimal text of up to nine places exactly, whatever its trailing zeros', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }), (whole, frac, trim) => {
        const digits = String(frac).padStart(9, '0');
        const kept = digits.slice(0, 9 - trim);
        const text = trim === 9 ? String(whole) : `${whole}.${kept}`;
        const expected = BigInt(whole) * 1_000_000_000n + BigInt(kept.padEnd(9, '0'));
        expect(BigInt(parseUsd(text))).toBe(expected);
      }),
      RUNS,
    );
  });

  it('refuses amounts past the exact range instead of rounding them', () => {
    expect(parseUsd('9007199.254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseUsd('9007199.254740992')).toThrow(RangeError);
    expect(() => parseUsd('999999999999.999999999')).toThrow(RangeError);
    expect(() => formatUsd(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
    expect(() => formatUsd(0.5)).toThrow(RangeError);
  });

  it('turns per-million prices into whole nano per token and back without drift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_PRICE }), (nanoPerToken) => {
        const text = nanoPerTokenToUsdPerMillion(nanoPerToken);
        expect(usdPerMillionToNanoPerToken(text)).toBe(nanoPerToken);
      }),
      RUNS,
    );
  });

  it('refuses random text that is not a plain decimal amount', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^\s*\d{1,12}(\.\d{1,9})?\s*$/.test(text));
        expect(() => parseUsd(text)).toThrow(RangeError);
      }),
      RUNS,
    );
  });
});
