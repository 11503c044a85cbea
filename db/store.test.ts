/**
 * The SQLite CaStore: the SQL is what makes a token single-use, so the concurrency
 * test runs against a real database file, and every refused issuance is checked to
 * roll back completely.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '@/lib/ca/authority';
import { auditEntry, ActivityType } from '@/lib/ca/audit';
import { createCsr } from '@/lib/pki/csr';
import { generateKeyPair } from '@/lib/pki/keys';
import type { CertificateRecord } from '@/lib/ca/types';
import { tempDir } from '@/test/helpers/paths';
import { NOW, TEST_ITERATIONS, TEST_PASSWORD } from '@/test/helpers/unit';
import { closeDatabase, openDatabase, type Db } from './client';
import { SqliteCaStore } from './store';

const ALICE = { id: 'user:alice' };
let tmp: ReturnType<typeof tempDir>;
let db: Db;
let store: SqliteCaStore;
let ca: CertificateAuthority;

beforeAll(async () => {
  tmp = tempDir('fedpki-store-');
  db = openDatabase({ file: `${tmp.path}/fedpki.db` });
  store = new SqliteCaStore(db);
  ca = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => NOW });
  await ca.createFederation({ id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123' }, ALICE);
});

afterAll(() => {
  closeDatabase(db);
  tmp.remove();
});

const count = (table: string) => (db.$client.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;
const csrFor = async (cn: string) => createCsr({ keys: await generateKeyPair('EC-P256'), commonName: cn, sans: [cn] });

describe('single use', () => {
  it('ok/of 20 concurrent requests with one token exactly one gets a certificate (conditional UPDATE)', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const csrs = await Promise.all(Array.from({ length: 20 }, () => csrFor('collaborator1')));
    const certs = count('certificates');
    const results = await Promise.allSettled(csrs.map((csr) => ca.signWithToken({ csr, ott: m.jwt })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as { code: string }).code)).toEqual(Array(19).fill('token_used'));
    expect(count('certificates')).toBe(certs + 1);
    const serial = (ok[0] as PromiseFulfilledResult<{ record: CertificateRecord }>).value.record.serial;
    expect(await store.getToken(m.claims.jti)).toMatchObject({ state: 'used', certSerial: serial, usedAt: NOW });
  });
});

describe('recordIssuance', () => {
  let template: CertificateRecord;

  beforeAll(async () => {
    const m = await ca.mintToken('unit', { subject: 'template' }, ALICE);
    const out = await ca.signWithToken({ csr: await csrFor('template'), ott: m.jwt });
    template = out.record;
  });

  const record = (serial: string): CertificateRecord => ({ ...template, serial, fingerprint: serial.padEnd(64, 'f'), tokenJti: null });
  const audit = (target: string) => auditEntry(ActivityType.CERT_ISSUED, { at: NOW, actor: 'test', federationId: 'unit', target });
  let n = 0;
  const nextSerial = () => `7e${(++n).toString(16).padStart(30, '0')}`;

  it('ok/the stored certificate reads back unchanged (dates, bytes, JSON SANs)', async () => {
    expect(await store.getCertificate(template.serial)).toEqual(template);
    expect(await store.getCertificate('00')).toBeUndefined();
  });

  it.each<[string, (jti: string) => Promise<void>, string, Date?]>([
    ['fail/token_used', async (jti) => void (await store.recordIssuance({ certificate: record(nextSerial()), consumeJti: jti, now: NOW, audit: audit('x') })), 'token_used'],
    ['fail/token_cancelled', async (jti) => void (await store.cancelToken(jti, NOW, 'test', audit('cancel'))), 'token_cancelled'],
    ['fail/token_expired beyond the leeway', async () => undefined, 'token_expired', new Date(NOW.getTime() + 86400_000 + 61_000)],
  ])('%s: refused, and the transaction leaves nothing behind', async (_name, prepare, code, at = NOW) => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    await prepare(m.claims.jti);
    const [certs, audits] = [count('certificates'), count('audit_log')];
    const tokenBefore = await store.getToken(m.claims.jti);
    const serial = nextSerial();
    await expect(store.recordIssuance({ certificate: record(serial), consumeJti: m.claims.jti, now: at, audit: audit(serial) })).rejects.toMatchObject({ code });
    expect([count('certificates'), count('audit_log')]).toEqual([certs, audits]);
    expect(await store.getCertificate(serial)).toBeUndefined();
    expect(await store.getToken(m.claims.jti)).toEqual(tokenBefore);
  });

  it('ok/within the leeway the token is still consumed', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const serial = nextSerial();
    await store.recordIssuance({ certificate: record(serial), consumeJti: m.claims.jti, now: new Date(NOW.getTime() + 86400_000 + 59_000), audit: audit(serial) });
    expect(await store.getToken(m.claims.jti)).toMatchObject({ state: 'used', certSerial: serial });
  });

  it('fail/token_unknown', async () => {
    const certs = count('certificates');
    await expect(store.recordIssuance({ certificate: record(nextSerial()), consumeJti: 'e'.repeat(64), now: NOW, audit: audit('x') })).rejects.toMatchObject({ code: 'token_unknown' });
    expect(count('certificates')).toBe(certs);
  });

  it('fail/federation_disabled by another process: nothing stored, token still pending', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    db.$client.prepare("update federations set status = 'disabled' where id = 'unit'").run();
    try {
      const [certs, audits] = [count('certificates'), count('audit_log')];
      await expect(store.recordIssuance({ certificate: record(nextSerial()), consumeJti: m.claims.jti, now: NOW, audit: audit('x') })).rejects.toMatchObject({
        code: 'federation_disabled',
      });
      expect([count('certificates'), count('audit_log')]).toEqual([certs, audits]);
      expect((await store.getToken(m.claims.jti))!.state).toBe('pending');
    } finally {
      db.$client.prepare("update federations set status = 'active' where id = 'unit'").run();
    }
  });

  it('fail/a duplicate serial rolls back the token consumption', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const audits = count('audit_log');
    await expect(store.recordIssuance({ certificate: record(template.serial), consumeJti: m.claims.jti, now: NOW, audit: audit('dup') })).rejects.toThrow();
    expect((await store.getToken(m.claims.jti))!.state).toBe('pending');
    expect(count('audit_log')).toBe(audits);
  });

  it('ok/one group commit: a refused token and a failed write are lost alone; the rest is written', async () => {
    const [t1, t2, t3] = await Promise.all(['g1', 'g2', 'g3'].map((cn) => ca.mintToken('unit', { subject: cn }, ALICE)));
    const used = await ca.mintToken('unit', { subject: 'g4' }, ALICE);
    await store.recordIssuance({ certificate: record(nextSerial()), consumeJti: used.claims.jti, now: NOW, audit: audit('used') });
    const [certs, audits] = [count('certificates'), count('audit_log')];
    const [a, b, c, d] = [nextSerial(), nextSerial(), nextSerial(), nextSerial()];
    // Called in one turn of the event loop, so they are committed in one transaction.
    const results = await Promise.allSettled([
      store.recordIssuance({ certificate: record(a), consumeJti: t1!.claims.jti, now: NOW, audit: audit(a) }),
      store.recordIssuance({ certificate: record(b), consumeJti: used.claims.jti, now: NOW, audit: audit(b) }),
      store.recordIssuance({ certificate: record(template.serial), consumeJti: t2!.claims.jti, now: NOW, audit: audit('dup') }),
      store.recordIssuance({ certificate: record(c), consumeJti: t3!.claims.jti, now: NOW, audit: audit(c) }),
      store.recordIssuance({ certificate: record(d), now: NOW, audit: audit(d) }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'token_used' });
    expect([count('certificates'), count('audit_log')]).toEqual([certs + 3, audits + 3]);
    expect(await Promise.all([a, b, c, d].map(async (s) => (await store.getCertificate(s))?.serial))).toEqual([a, undefined, c, d]);
    expect((await store.getToken(t1!.claims.jti))!).toMatchObject({ state: 'used', certSerial: a });
    expect((await store.getToken(t2!.claims.jti))!.state).toBe('pending');
    expect((await store.getToken(t3!.claims.jti))!).toMatchObject({ state: 'used', certSerial: c });
    expect((await store.getToken(used.claims.jti))!.certSerial).not.toBe(b);
  });

  it('ok/one group commit: a statement that fails while consuming a token is lost alone', async () => {
    const [good, bad] = await Promise.all(['k1', 'k2'].map((cn) => ca.mintToken('unit', { subject: cn }, ALICE)));
    // A failing statement (not a refusal) on one item's token update.
    db.$client.exec(`create temp trigger fail_consume before update on tokens when new.jti = '${bad!.claims.jti}' begin select raise(abort, 'injected failure'); end`);
    try {
      const certs = count('certificates');
      const [a, b] = [nextSerial(), nextSerial()];
      const results = await Promise.allSettled([
        store.recordIssuance({ certificate: record(a), consumeJti: bad!.claims.jti, now: NOW, audit: audit(a) }),
        store.recordIssuance({ certificate: record(b), consumeJti: good!.claims.jti, now: NOW, audit: audit(b) }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
      expect(count('certificates')).toBe(certs + 1);
      expect((await store.getToken(bad!.claims.jti))!.state).toBe('pending');
      expect((await store.getToken(good!.claims.jti))!).toMatchObject({ state: 'used', certSerial: b });
    } finally {
      db.$client.exec('drop trigger fail_consume');
    }
  });

  it('ok/one group commit of refusals and successes needs no redo and loses only the refusals', async () => {
    const [t1, t2] = await Promise.all(['h1', 'h2'].map((cn) => ca.mintToken('unit', { subject: cn }, ALICE)));
    const certs = count('certificates');
    const [a, b, c] = [nextSerial(), nextSerial(), nextSerial()];
    const results = await Promise.allSettled([
      store.recordIssuance({ certificate: record(a), consumeJti: t1!.claims.jti, now: NOW, audit: audit(a) }),
      store.recordIssuance({ certificate: record(b), consumeJti: t1!.claims.jti, now: NOW, audit: audit(b) }),
      store.recordIssuance({ certificate: record(c), consumeJti: t2!.claims.jti, now: NOW, audit: audit(c) }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'token_used' });
    expect(count('certificates')).toBe(certs + 2);
  });

  it('ok/without a token (signCsr) only the certificate and the audit entry are written', async () => {
    const [certs, audits] = [count('certificates'), count('audit_log')];
    const serial = nextSerial();
    await store.recordIssuance({ certificate: record(serial), now: NOW, audit: audit(serial) });
    expect([count('certificates'), count('audit_log')]).toEqual([certs + 1, audits + 1]);
  });
});

describe('tokens and the audit log', () => {
  it('ok/cancelToken: once; then a conflict naming the state; unknown is not_found', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const audits = count('audit_log');
    const t = await store.cancelToken(m.claims.jti, NOW, 'user:bob', auditEntry(ActivityType.TOKEN_CANCELLED, { at: NOW, actor: 'user:bob' }));
    expect(t).toMatchObject({ state: 'cancelled', cancelledBy: 'user:bob', cancelledAt: NOW });
    expect(count('audit_log')).toBe(audits + 1);
    await expect(store.cancelToken(m.claims.jti, NOW, 'user:bob', auditEntry(ActivityType.TOKEN_CANCELLED, { at: NOW, actor: 'user:bob' }))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already cancelled'),
    });
    await expect(store.cancelToken('d'.repeat(64), NOW, 'x', auditEntry(ActivityType.TOKEN_CANCELLED, { at: NOW, actor: 'x' }))).rejects.toMatchObject({ code: 'not_found' });
    expect(count('audit_log')).toBe(audits + 1);
  });

  it('ok/a token record reads back unchanged', async () => {
    const m = await ca.mintToken('unit', { subject: 'node9', sans: ['node9', '10.0.0.9'], role: 'envoy' }, ALICE);
    expect(m.record.binding).toHaveLength(32);
    expect(await store.getToken(m.claims.jti)).toEqual(m.record);
  });

  it('fail/the audit log refuses UPDATE and DELETE', () => {
    expect(() => db.$client.prepare("update audit_log set actor = 'mallory'").run()).toThrow();
    expect(() => db.$client.prepare('delete from audit_log').run()).toThrow();
  });

  it('fail/a second federation with the same CA URL is a conflict', async () => {
    await expect(ca.createFederation({ id: 'dup', name: 'Dup', caUrl: 'ca.unit.test:9123' }, ALICE)).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.listFederations()).map((f) => f.id)).toEqual(['unit']);
  });
});
