// Whether a failed write broke a unique or primary key constraint, on either backend: SQLite's
// SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY, PostgreSQL's SQLSTATE 23505. Drizzle wraps the driver's
// error, so the causes are followed.

export function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; errno?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
    if (e.code === '23505' || e.errno === '23505' || e.errno === 23505) return true;
  }
  return false;
}

/** Runs a write; a unique violation becomes `refusal()` (a taken id), anything else is thrown as it came. */
export async function uniqueOr<T>(write: () => T | Promise<T>, refusal: () => Error): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isUniqueViolation(error) ? refusal() : error;
  }
}
