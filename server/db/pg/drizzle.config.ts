import { defineConfig } from 'drizzle-kit';

// `bun run db:generate:pg`: migrations for the scale-out mode, from the PostgreSQL twin of the schema.
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/pg/schema.ts',
  out: './drizzle-pg',
});
