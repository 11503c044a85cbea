/**
 * PgCaStore's guarantees at the store level, with two connection pools standing for
 * two FedPKI instances: many rounds of one token raced through both, a cancellation
 * racing a use, and federations created through one seen by the other.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '@/lib/ca/authority';
import { isCaError } from '@/lib/ca/errors';
import { openStore, type Database } from '@/db/open';
import { makeCsr } from '../helpers/csr';
import { ROOT } from '../helpers/paths';
import { newTestPostgresUrl } from '../helpers/server';

const PASSWORD = 'store test password';
let one: Database;
let two: Database;
let a: CertificateAuthority;
let b: CertificateAuthority;

beforeAll(async () => {
  const databaseUrl = await newTestPostgresUrl();
  const open = () => openStore({ databaseFile: '/nonexistent', databaseUrl, root: ROOT, poolSize: 8 });
  [one, two] = await Promise.all([open(), open()]);
  a = new CertificateAuthority({ store: one.store, password: PASSWORD, iterations: 1000 });
  b = new CertificateAuthority({ store: two.store, password: PASSWORD, iterations: 1000 });
  await a.createFederation({ id: 'f', name: 'F', caUrl: 'localhost:9123' }, { id: 'test' });
  await b.unlockAll();
});

afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

async function count(sql: string): Promise<number> {
  if (one.handle.kind !== 'postgres') throw new Error('PostgreSQL only');
  return Number((await one.handle.db.$client.query<{ n: string }>(sql)).rows[0]!.n);
}

describe('PgCaStore across two pools', () => {
  it('of ten submissions of one token split over both, exactly one is recorded — fifty times over', async () => {
    const csr = (await makeCsr('racer')).der;
    for (let round = 0; round < 50; round++) {
      const minted = await a.mintToken('f', { subject: 'racer' }, { id: 'test' });
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).signWithToken({ csr, ott: minted.jwt })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isCaError(r.reason) && r.reason.code).toBe('token_used');
    }
    expect(await count("select count(*) n from certificates where common_name = 'racer'")).toBe(50);
    expect(await count("select count(*) n from tokens where subject = 'racer' and state = 'used'")).toBe(50);
    expect(await count("select count(*) n from audit_log where action = 'CERT_ISSUED'")).toBe(50);
  });

  it('a cancellation racing a use: either the certificate or the cancellation, never both', async () => {
    const csr = (await makeCsr('maybe')).der;
    for (let round = 0; round < 20; round++) {
      const minted = await a.mintToken('f', { subject: 'maybe' }, { id: 'test' });
      const [use, cancel] = await Promise.allSettled([b.signWithToken({ csr, ott: minted.jwt }), a.cancelToken(minted.record.jti, { id: 'test' })]);
      const token = await one.store.getToken(minted.record.jti);
      if (use.status === 'fulfilled') {
        expect(cancel.status).toBe('rejected');
        expect(token?.state).toBe('used');
      } else {
        expect(cancel.status).toBe('fulfilled');
        expect(token?.state).toBe('cancelled');
        expect(isCaError(use.reason) && use.reason.code).toBe('token_cancelled');
      }
    }
    expect(await count("select count(*) n from certificates where common_name = 'maybe'")).toBe(await count("select count(*) n from tokens where subject = 'maybe' and state = 'used'"));
  });

  it('a federation created through one is picked up by the other, and names stay unique', async () => {
    await b.createFederation({ id: 'g', name: 'G', caUrl: 'localhost:9124' }, { id: 'test' });
    const { added } = await a.refresh();
    expect(added).toEqual(['g']);
    expect(a.federation('g').root.fingerprint).toBe(b.federation('g').root.fingerprint);
    await expect(a.createFederation({ id: 'g2', name: 'G', caUrl: 'localhost:9125' }, { id: 'test' })).rejects.toMatchObject({ code: 'conflict' });
  });
});
