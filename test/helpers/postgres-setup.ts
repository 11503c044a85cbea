import type { TestProject } from 'vitest/node';
import { freePort } from './server';
import { startCluster } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway cluster's superuser URL; tests create their own databases on it. */
    postgresAdminUrl: string;
  }
}

/**
 * The `postgres` project of the integration tier: one throwaway PostgreSQL cluster for
 * the whole run (each server gets its own database on it), stopped at the end.
 * FEDPKI_TEST_POSTGRES_URL points the tests at an existing server instead.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.FEDPKI_TEST_POSTGRES_URL;
  if (given) {
    project.provide('postgresAdminUrl', given);
    return () => undefined;
  }
  const cluster = startCluster({ port: await freePort(), settings: { fsync: 'off' } });
  // Also when vitest ends without running teardowns: leave no server behind.
  process.once('exit', () => cluster.stop());
  project.provide('postgresAdminUrl', cluster.adminUrl);
  return () => cluster.stop();
}
