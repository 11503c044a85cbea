import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

/**
 * Three tiers, told apart by file name (scripts/test.mjs runs them in order):
 * unit `*.test.ts` next to the code, integration `test/integration/*.integ.ts` against
 * real servers and database files, end-to-end `test/e2e/*.e2e.ts` in Chromium.
 */
const tier = process.env.FEDPKI_TEST_TIER ?? 'unit';

const include = {
  unit: ['lib/**/*.test.ts', 'db/**/*.test.ts', 'server/**/*.test.ts', 'cli/**/*.test.ts'],
  integ: ['test/integration/**/*.integ.ts'],
  e2e: ['test/e2e/**/*.e2e.ts'],
}[tier];

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    include,
    passWithNoTests: true,
    environment: 'node',
    testTimeout: tier === 'unit' ? 30_000 : 120_000,
    hookTimeout: 180_000,
    // Servers and browsers share two cores: integration files run two at a time,
    // browser tests one at a time.
    fileParallelism: tier !== 'e2e',
    maxWorkers: tier === 'unit' ? undefined : 2,
    globalSetup: tier === 'unit' ? [] : ['test/helpers/global-setup.ts'],
  },
});
