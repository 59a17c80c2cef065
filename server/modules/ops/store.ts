// What /healthz and /metrics ask the database. One implementation per backend
// (store.sqlite.ts; store.pg.ts to come).

export interface OpsStore {
  /** throws when the database does not answer */
  ping(): Promise<void>;
  /** the database's size on disk (SQLite: the file and its WAL; PostgreSQL: pg_database_size) */
  databaseBytes(): Promise<number>;
}
