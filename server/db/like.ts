import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

// Searching for a piece of text with LIKE: the text's own %, _ and \ are escaped, not dropped
// (dropping them made "key_abc", "ord_…" and "first_last@…" find nothing). Each LIKE names its
// escape character, so SQLite (which has none by default) and PostgreSQL read the pattern alike.

/**
 * `%text%` with LIKE's wildcards in `text` escaped by a backslash; undefined for no text or a text
 * of nothing but wildcards, which searches for nothing in particular (no filter).
 */
export function containsPattern(text: string | undefined): string | undefined {
  if (!text || text.replace(/[\\%_]/g, '') === '') return undefined;
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** SQLite: LIKE is case-insensitive for ASCII letters, as ILIKE on PostgreSQL. */
export const sqliteContains = (column: SQLWrapper, pattern: string): SQL => sql`${column} LIKE ${pattern} ESCAPE '\\'`;

/** PostgreSQL: ILIKE, case-insensitive as SQLite's LIKE. */
export const pgContains = (column: SQLWrapper, pattern: string): SQL => sql`${column} ILIKE ${pattern} ESCAPE '\\'`;
