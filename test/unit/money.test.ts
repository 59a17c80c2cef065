import { describe, expect, it } from 'bun:test';
import { formatPayPalAmount, formatUsd, nanoPerTokenToUsdPerMillion, parseUsd, usdPerMillionToNanoPerToken } from '../../server/lib/money';

describe('money', () => {
  it('parses USD text into integer nano-USD without floating point', () => {
    expect(parseUsd('0.1')).toBe(100_000_000);
    expect(parseUsd('5')).toBe(5_000_000_000);
    expect(parseUsd('0.000000001')).toBe(1);
    expect(parseUsd('123.456789123')).toBe(123_456_789_123);
  });

  it.each(['', '-1', '1.0000000001', 'abc', '1e3', '0x10', '1.2.3'])('refuses %p', (text) => {
    expect(() => parseUsd(text)).toThrow(RangeError);
  });

  it('formats nano-USD with nine decimals', () => {
    expect(formatUsd(5_000_000_000)).toBe('5.000000000');
    expect(formatUsd(1)).toBe('0.000000001');
    expect(formatUsd(-250_000_000)).toBe('-0.250000000');
    expect(formatUsd(0)).toBe('0.000000000');
  });

  it('formats PayPal amounts with two decimals and refuses to round', () => {
    expect(formatPayPalAmount(4_250_000_000)).toBe('4.25');
    expect(() => formatPayPalAmount(4_255_000_000)).toThrow(RangeError);
  });

  it('converts per-million prices to whole nano-USD per token', () => {
    expect(usdPerMillionToNanoPerToken('0.30')).toBe(300);
    expect(usdPerMillionToNanoPerToken('0.006')).toBe(6);
    expect(usdPerMillionToNanoPerToken('3.96')).toBe(3960);
    expect(() => usdPerMillionToNanoPerToken('0.0028')).toThrow(RangeError);
    expect(nanoPerTokenToUsdPerMillion(300)).toBe('0.3');
    expect(nanoPerTokenToUsdPerMillion(6)).toBe('0.006');
  });

  it('round-trips every amount in a sweep', () => {
    for (let nano = 0; nano < 5_000_000_000; nano += 123_456_789) expect(parseUsd(formatUsd(nano))).toBe(nano);
  });
});
