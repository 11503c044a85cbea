import { defineConfig } from 'drizzle-kit';

/** PostgreSQL's schema and migrations (SQLite's are in drizzle.config.ts). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/pg/migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/fedpki' },
});
