import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { CaError, isCaError } from '../../lib/ca/errors';
import { guardAll, guardPg, pgStorageError } from './errors';

const withCode = (code: string, message = 'driver says no') => Object.assign(new Error(message), { code });

function mapped(e: unknown): { code: string; message: string; cause: unknown } | undefined {
  const out = pgStorageError(e);
  return isCaError(out) ? { code: out.code, message: out.message, cause: out.cause } : undefined;
}

describe('PostgreSQL failures as CaError unavailable', () => {
  it.each([
    ['ECONNREFUSED', /cannot reach its database.*Nothing was issued or changed/],
    ['ENOTFOUND', /cannot reach its database/],
    ['ETIMEDOUT', /cannot reach its database/],
    ['ECONNRESET', /lost its connection to its database/],
    ['EPIPE', /lost its connection/],
    ['08006', /lost its connection/],
    ['08001', /cannot reach its database/],
    ['57P01', /lost its connection/], // admin shutdown
    ['57P03', /cannot reach its database/], // starting up
    ['53300', /cannot reach its database/], // too many connections
    ['28P01', /cannot reach its database/], // password refused
    ['3D000', /cannot reach its database/], // no such database
    ['53100', /disk holding its database is full/],
    ['25006', /accepts no writes \(read-only, or a standby\)/],
    ['40001', /busy; try again/],
    ['40P01', /busy; try again/],
    ['55P03', /busy; try again/],
    ['57014', /busy; try again/],
    ['58030', /cannot use its database/],
    ['XX001', /cannot use its database/],
  ])('ok/%s → 503 in words', (code, message) => {
    const driver = withCode(code);
    const m = mapped(driver);
    expect(m?.code).toBe('unavailable');
    expect(m?.message).toMatch(message);
    expect(m?.cause).toBe(driver);
    expect(new CaError('unavailable', 'x').status).toBe(503);
  });

  it('ok/connection messages without a code', () => {
    expect(mapped(new Error('Connection terminated unexpectedly'))?.message).toMatch(/lost its connection/);
    expect(mapped(new Error('timeout exceeded when trying to connect'))?.message).toMatch(/cannot reach/);
    expect(mapped(new Error('Client has encountered a connection error and is not queryable'))?.code).toBe('unavailable');
  });

  it('ok/a lost connection does not promise that nothing changed (a COMMIT may have landed)', () => {
    expect(mapped(withCode('ECONNRESET'))?.message).not.toContain('Nothing was');
    expect(mapped(withCode('57P01'))?.message).not.toContain('Nothing was');
  });

  it('ok/an AggregateError (localhost: ::1 and 127.0.0.1) is looked into', () => {
    const e = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed');
    expect(mapped(e)?.code).toBe('unavailable');
  });

  it('ok/the cause kept is the driver error inside DrizzleQueryError, which carries the SQL and its parameters', () => {
    const driver = withCode('57P01', 'terminating connection due to administrator command');
    const wrapped = new DrizzleQueryError('insert into users (password_hash) values ($1)', ['scrypt$secret'], driver);
    const m = mapped(wrapped);
    expect(m?.cause).toBe(driver);
    expect(m?.message).not.toContain('scrypt');
  });

  it('ok/anything else passes through unchanged: constraints, CaErrors, bugs', () => {
    const unique = withCode('23505');
    expect(pgStorageError(unique)).toBe(unique);
    const wrappedUnique = new DrizzleQueryError('insert …', [], unique);
    expect(pgStorageError(wrappedUnique)).toBe(wrappedUnique);
    const ca = new CaError('token_used', 'used');
    expect(pgStorageError(ca)).toBe(ca);
    const bug = new TypeError('x is undefined');
    expect(pgStorageError(bug)).toBe(bug);
    expect(pgStorageError(undefined)).toBeUndefined();
  });

  it('ok/guardPg and guardAll translate rejections and pass results', async () => {
    await expect(guardPg(Promise.resolve(7))).resolves.toBe(7);
    await expect(guardPg(Promise.reject(withCode('ECONNREFUSED')))).rejects.toMatchObject({ code: 'unavailable' });
    const service = guardAll({
      ok: async (n: number) => n + 1,
      down: async () => Promise.reject(withCode('53100')),
      throwsSync: () => {
        throw withCode('ECONNRESET');
      },
    });
    await expect(service.ok(1)).resolves.toBe(2);
    await expect(service.down()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    await expect(Promise.resolve().then(() => service.throwsSync())).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('ok/guardAll passes async iterables through, translating a failure mid-way (the audit export)', async () => {
    const service = guardAll({
      rows: async function* (n: number) {
        for (let i = 0; i < n; i++) yield i;
        throw withCode('57P01');
      },
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const r of service.rows(3)) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    expect(seen).toEqual([0, 1, 2]);
  });
});
