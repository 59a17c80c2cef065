import { describe, expect, it } from 'bun:test';
import { csvCell } from '../../server/lib/csv';

// One rule for every CSV export (the console's ledger, the dashboard's requests): a cell a
// spreadsheet would run as a formula is turned into text with a leading apostrophe.

describe('a CSV cell', () => {
  it.each([
    ['=HYPERLINK("http://evil","click")', `"'=HYPERLINK(""http://evil"",""click"")"`],
    ['+1+cmd|/C calc!A0', "'+1+cmd|/C calc!A0"],
    ['-1+cmd|/C calc!A0', "'-1+cmd|/C calc!A0"],
    ['-1+1', "'-1+1"],
    ['-2-3', "'-2-3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['-', "'-"],
  ])('defuses %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it.each([
    ['-12', '-12'],
    ['-0.000004250', '-0.000004250'],
    ['0.000004250', '0.000004250'],
    ['deepseek-v4-flash', 'deepseek-v4-flash'],
    ['a, b', '"a, b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
  ])('leaves %j as it is, quoted where CSV needs it', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('writes nothing for null and undefined, and numbers and booleans as text', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(true)).toBe('true');
  });
});
