import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaError } from '../lib/ca/errors';
import { tempDir } from '../test/helpers/paths';
import { createAccounts } from './accounts';
import { openDatabase, type Db } from './client';
import { guardMethods, storageError } from './errors';
import { createQueries } from './queries';

let tmp: ReturnType<typeof tempDir>;
let db: Db;

beforeEach(() => {
  tmp = tempDir();
  db = openDatabase({ file: join(tmp.path, 'fedpki.db'), migrationsFolder: join(__dirname, 'migrations') });
});

afterEach(() => {
  db.$client.close();
  tmp.remove();
});

describe('SQLite failures as CaError unavailable', () => {
  it('ok/storageError words the driver codes and passes everything else through', () => {
    const full = storageError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    expect(full).toMatchObject({ code: 'unavailable', status: 503, message: expect.stringMatching(/disk holding its database is full/) });
    const constraint = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(storageError(constraint)).toBe(constraint);
    const ca = new CaError('token_used', 'used');
    expect(storageError(ca)).toBe(ca);
  });

  it('fail/an account write on a read-only database is a 503 in words, not a driver error (the portal path)', async () => {
    const accounts = guardMethods(createAccounts(db));
    db.$client.pragma('query_only = ON');
    const e = await accounts.createUser({ username: 'alice', role: 'admin', password: 'long enough password', createdBy: 'test' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CaError);
    expect(e).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/read-only/) });
    db.$client.pragma('query_only = OFF');
    await expect(accounts.createUser({ username: 'alice', role: 'admin', password: 'long enough password', createdBy: 'test' })).resolves.toMatchObject({ username: 'alice' });
  });

  it('ok/guardMethods passes results, and translates a synchronous throw, a rejection and a failure part-way through an iterable', async () => {
    const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const service = guardMethods({
      value: async () => 42,
      throws: (): Promise<number> => {
        throw busy();
      },
      rejects: async (): Promise<number> => Promise.reject(busy()),
      async *rows() {
        yield 1;
        throw busy();
      },
    });
    await expect(service.value()).resolves.toBe(42);
    await expect(service.throws()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/busy/) });
    await expect(service.rejects()).rejects.toMatchObject({ code: 'unavailable' });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const r of service.rows()) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: 'unavailable' });
    expect(seen).toEqual([1]);
  });

  it('ok/the portal queries keep working through the guard', async () => {
    await expect(guardMethods(createQueries(db)).listFederationSummaries()).resolves.toEqual([]);
  });
});
