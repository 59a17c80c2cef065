// One CSV cell, for every export (the console's ledger, the buyer dashboard's requests). Also
// imported by the web pages, so it stays free of anything but the language.

/** A plain negative number ("-12", "-0.5"): a spreadsheet reads it as a number, never a formula. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;
/** What a spreadsheet may take for the start of a formula: =, +, -, @, a tab or a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * The cell as CSV text: a value a spreadsheet would run as a formula ("=HYPERLINK(…)", "-1+cmd|…",
 * "@SUM(…)", a leading tab or CR) gets a leading apostrophe (OWASP's advice), so it shows as text;
 * quotes, commas and line breaks are quoted.
 */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = FORMULA_START.test(text) && !NEGATIVE_NUMBER.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
