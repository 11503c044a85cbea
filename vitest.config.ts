import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

/**
 * Three tiers, told apart by file name (scripts/test.mjs runs them in order):
 * unit `*.test.ts` next to the code, integration `test/integration/*.integ.ts` against
 * real servers and database files, end-to-end `test/e2e/*.e2e.ts` in Chromium.
 *
 * The integration tier runs twice, as two projects: `sqlite` (the embedded default)
 * and `postgres` (a throwaway PostgreSQL cluster, test/helpers/postgres-setup.ts).
 * `startFedpki()` reads FEDPKI_TEST_DATABASE, so a file runs on both without a change;
 * `onPostgres` lists the ones that do. Files named `*.pg.integ.ts` (several instances
 * on one database, SQLite → PostgreSQL) run only in `postgres`. FEDPKI_TEST_POSTGRES=0 leaves the
 * `postgres` project out (machines without PostgreSQL).
 */
const tier = process.env.FEDPKI_TEST_TIER ?? 'unit';

const include = {
  unit: ['lib/**/*.test.ts', 'db/**/*.test.ts', 'server/**/*.test.ts', 'cli/**/*.test.ts'],
  integ: ['test/integration/**/*.integ.ts'],
  e2e: ['test/e2e/**/*.e2e.ts'],
}[tier];

const globalSetup = tier === 'unit' ? [] : ['test/helpers/global-setup.ts'];

/**
 * What runs on PostgreSQL too: the core API and lifecycle suites, the token race and
 * the portal's certificate list (checked against SQLite there), the upgrade from an
 * older release (each database on its own fixture), plus the
 * PostgreSQL-only files. The rest (terminal start-up, SQLite file faults,
 * the fuzzer, HTTP abuse) exercise things the database choice does not change.
 */
const onPostgres = [
  'test/integration/api.integ.ts',
  'test/integration/mtls.integ.ts',
  'test/integration/revocation.integ.ts',
  'test/integration/renewal.integ.ts',
  'test/integration/expiry.integ.ts',
  'test/integration/security/race.integ.ts',
  'test/integration/certificate-list.integ.ts',
  'test/integration/upgrade.integ.ts',
  'test/integration/**/*.pg.integ.ts',
];

const integProjects = [
  { extends: true as const, test: { name: 'sqlite', include: ['test/integration/**/*.integ.ts'], exclude: ['**/*.pg.integ.ts', '**/node_modules/**'], env: { FEDPKI_TEST_DATABASE: 'sqlite' }, globalSetup } },
  ...(process.env.FEDPKI_TEST_POSTGRES === '0'
    ? []
    : [{ extends: true as const, test: { name: 'postgres', include: onPostgres, env: { FEDPKI_TEST_DATABASE: 'postgres' }, globalSetup: [...globalSetup, 'test/helpers/postgres-setup.ts'] } }]),
];

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    // Projects merge their options into these (arrays concatenate), so the integration
    // tier names its files per project only.
    include: tier === 'integ' ? [] : include,
    passWithNoTests: true,
    environment: 'node',
    testTimeout: tier === 'unit' ? 30_000 : 120_000,
    hookTimeout: 180_000,
    // Servers and browsers share two cores: integration files run two at a time,
    // browser tests one at a time.
    fileParallelism: tier !== 'e2e',
    maxWorkers: tier === 'unit' ? undefined : 2,
    ...(tier === 'integ' ? { projects: integProjects } : { globalSetup }),
  },
});
