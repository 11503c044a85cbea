/**
 * PgCaStore's guarantees at the store level, with two connection pools standing for
 * two FedPKI instances: many rounds of one token raced through both, a cancellation
 * racing a use, and federations created through one seen by the other; the lifecycle
 * (revocations, revoke tokens, CRL numbers, renewal token ids, expiry notices) raced
 * the same way; and a database that goes away and comes back.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '@/lib/ca/authority';
import type { ActivityType, AuditEntry } from '@/lib/ca/audit';
import { isCaError } from '@/lib/ca/errors';
import { serialToDecimal } from '@/lib/pki/certificate';
import { openStore, type Database } from '@/db/open';
import { makeCsr } from '../helpers/csr';
import { ROOT } from '../helpers/paths';
import { freePort, newTestPostgresUrl } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';

const PASSWORD = 'store test password';
let one: Database;
let two: Database;
let a: CertificateAuthority;
let b: CertificateAuthority;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await newTestPostgresUrl();
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

const DAY = 24 * 3600_000;

/** The CaError code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isCaError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

function audit(action: ActivityType, target: string | null = null): AuditEntry {
  return { at: new Date(), action, actor: 'test', sourceIp: null, federationId: 'f', target, outcome: 'success', details: null };
}

async function issue(cn: string, seconds = 365 * 86400) {
  const csr = await makeCsr(cn);
  return (await a.signCsr({ federationId: 'f', csr: csr.der, certSeconds: seconds }, { id: 'test' })).record;
}

describe('the lifecycle across two pools', () => {
  it('a certificate revoked through both at once is revoked once; the others hear already_revoked', async () => {
    for (let round = 0; round < 10; round++) {
      const cert = await issue(`revoked-${round}`);
      const codes = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf((i % 2 ? b : a).revoke(cert.serial, { reasonCode: 1 }, { id: 'test' }, 'cli'))));
      expect(codes.sort()).toEqual(['already_revoked', 'already_revoked', 'already_revoked', 'already_revoked', 'already_revoked', 'ok']);
      expect(await count(`select count(*) n from revocations where serial = '${cert.serial}'`)).toBe(1);
      expect(await count(`select count(*) n from audit_log where action = 'CERT_REVOKED' and target = '${cert.serial}'`)).toBe(1);
      expect((await two.store.getCertificate(cert.serial))?.status).toBe('revoked');
    }
  });

  it('a revoke token raced through both is spent once; a refused revocation does not spend it', async () => {
    const cert = await issue('token-revoked');
    const minted = await a.mintRevokeToken({ serial: cert.serial }, { id: 'test' });
    const serial = serialToDecimal(cert.serial);
    const codes = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf((i % 2 ? b : a).revokeWithToken({ serial, ott: minted.jwt }))));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    for (const c of codes.filter((x) => x !== 'ok')) expect(['token_used', 'already_revoked']).toContain(c);
    expect((await one.store.getToken(minted.record.jti))?.state).toBe('used');

    // Store level: the certificate is already revoked, so the transaction rolls back and the token stays pending.
    const other = await issue('token-kept');
    const kept = await a.mintRevokeToken({ serial: other.serial }, { id: 'test' });
    await a.revoke(other.serial, {}, { id: 'test' }, 'cli');
    const at = new Date();
    const revocation = { serial: other.serial, federationId: 'f', reasonCode: 0, reason: null, revokedAt: at, expiresAt: other.notAfter, actor: 'test', via: 'api-token' as const };
    expect(await codeOf(two.store.markRevoked(revocation, audit('CERT_REVOKED', other.serial), kept.record.jti))).toBe('already_revoked');
    expect((await one.store.getToken(kept.record.jti))?.state).toBe('pending');
    expect(await codeOf(two.store.markRevoked({ ...revocation, serial: '0abc' }, audit('CERT_REVOKED'), kept.record.jti))).toBe('not_found');
    expect((await one.store.getToken(kept.record.jti))?.state).toBe('pending');
  });

  it('CRL numbers only increase: counters raced through both are distinct, and the highest CRL is the one stored', async () => {
    const before = (await one.store.getCrl('f'))?.number ?? 0;
    const numbers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? two : one).store.nextCrlNumber('f')));
    expect(new Set(numbers).size).toBe(20);
    expect(Math.min(...numbers)).toBeGreaterThan(before);

    const published = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? b : a).crls.publish('f')));
    const stored = (await two.store.getCrl('f'))!;
    const [counter] = (await (one.handle.kind === 'postgres' ? one.handle.db.$client.query<{ n: string }>("select last_number n from crl_counters where federation_id = 'f'") : Promise.reject(new Error('PostgreSQL only')))).rows;
    // Every build took a new number; the build with the highest number is never refused.
    expect(stored.number).toBe(Number(counter!.n));
    expect(Math.max(...published.map((c) => c.number))).toBeLessThanOrEqual(stored.number);
    expect(stored.number).toBeGreaterThan(Math.max(...numbers));

    // A build that lost the race is not stored over a newer one, and leaves no audit entry.
    const audited = await count("select count(*) n from audit_log where action = 'CRL_PUBLISHED'");
    expect(await one.store.saveCrl({ ...stored, number: stored.number - 1 }, audit('CRL_PUBLISHED'))).toBe(false);
    expect(await one.store.saveCrl({ ...stored, number: stored.number }, audit('CRL_PUBLISHED'))).toBe(false);
    expect(await count("select count(*) n from audit_log where action = 'CRL_PUBLISHED'")).toBe(audited);
    expect((await one.store.getCrl('f'))!.number).toBe(stored.number);
    expect(await one.store.getCrl('f', stored.number)).toBeUndefined();
    // Both see the revocations, with their times and reasons.
    const listed = await two.store.listRevoked('f', { expiresAfter: new Date() });
    expect(listed.length).toBeGreaterThanOrEqual(12);
    expect(listed.every((e) => e.revokedAt instanceof Date && e.expiresAt instanceof Date && typeof e.reasonCode === 'number')).toBe(true);
    expect((await two.store.latestRevocationAt('f'))!.getTime()).toBe(Math.max(...listed.map((e) => e.revokedAt.getTime())));
  });

  it('a renewal token id is used once, whichever pool sees it; expired ids are forgotten', async () => {
    const now = new Date();
    const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => codeOf((i % 2 ? two : one).store.useOnce('x5c:raced', 'renew', new Date(now.getTime() + 60_000), now))));
    expect(codes.sort()).toEqual(['ok', ...Array(7).fill('token_used')]);
    await one.store.useOnce('x5c:old', 'renew', new Date(now.getTime() - 1000), now);
    expect(await two.store.purgeUsedOnce(now)).toBe(1);
    expect(await codeOf(one.store.useOnce('x5c:raced', 'renew', new Date(now.getTime() + 60_000), now))).toBe('token_used');
  });

  it('expiry notices: queued once, and two pools claiming at once never get the same one', async () => {
    const soon = await Promise.all(Array.from({ length: 12 }, (_, i) => issue(`expiring-${i}`, (5 + i) * 86400)));
    const now = new Date();
    const due = await one.store.findExpiryNoticesDue({ threshold: 30, from: now, until: new Date(now.getTime() + 30 * DAY), limit: 100 });
    expect(due.map((d) => d.serial).sort()).toEqual(soon.map((c) => c.serial).sort());
    expect(due[0]!.notAfter).toBeInstanceOf(Date);
    for (const d of due) await Promise.all([one.store.enqueueExpiryNotice(d.serial, 30, now), two.store.enqueueExpiryNotice(d.serial, 30, now)]);
    expect(await count('select count(*) n from webhook_deliveries')).toBe(12);
    expect(await two.store.findExpiryNoticesDue({ threshold: 30, from: now, until: new Date(now.getTime() + 30 * DAY), limit: 100 })).toEqual([]);

    const lease = { now: new Date(now.getTime() + 1000), limit: 4, leaseUntil: new Date(now.getTime() + 600_000) };
    const claims = await Promise.all([one, two, one, two, one].map((d) => d.store.claimExpiryNotices(lease)));
    const keys = claims.flat().map((n) => `${n.serial}:${n.threshold}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(12);
    expect(claims.flat()[0]!.certificate).toMatchObject({ federationId: 'f', role: 'collaborator' });
    expect(await two.store.claimExpiryNotices(lease)).toEqual([]);

    // Any claimed notice but soon[1]'s, which is finished as pending next: the claims come
    // back in no set order (all are due at the same moment), so the first may be that one.
    const first = claims.flat().find((n) => n.serial !== soon[1]!.serial);
    await two.store.finishExpiryNotice({ serial: first!.serial, threshold: 30, state: 'delivered', attempts: 1, nextAttemptAt: lease.now, lastError: null, audit: audit('WEBHOOK_SENT', first!.serial) });
    await one.store.finishExpiryNotice({ serial: soon[1]!.serial, threshold: 30, state: 'pending', attempts: 1, nextAttemptAt: lease.now, lastError: 'HTTP 503' });
    expect(await count("select count(*) n from webhook_deliveries where state = 'delivered'")).toBe(1);
    expect((await one.store.claimExpiryNotices({ ...lease, now: new Date(lease.now.getTime() + 1) })).map((n) => n.serial)).toEqual([soon[1]!.serial]);
    // At a smaller threshold they are due again.
    expect(await one.store.findExpiryNoticesDue({ threshold: 7, from: now, until: new Date(now.getTime() + 7 * DAY), limit: 100 })).toHaveLength(3);
  });

  it('the lifecycle lists: by state, expiring soonest first, renewed ones marked superseded', async () => {
    const old = await issue('to-renew', 3 * 86400);
    const renewed = await a.renew({ presented: old.der, scope: a.keyring.list() });
    expect(renewed.record.renewedFrom).toBe(old.serial);
    const expiring = await two.queries.listExpiringCertificates({ withinDays: 30 });
    expect(expiring[0]).toMatchObject({ serial: old.serial, state: 'valid', superseded: true });
    expect(expiring.map((c) => c.notAfter.getTime())).toEqual([...expiring.map((c) => c.notAfter.getTime())].sort((x, y) => x - y));
    expect(expiring.find((c) => c.serial === renewed.record.serial)).toMatchObject({ superseded: false, source: 'renew', renewedFrom: old.serial });
    const revoked = await one.queries.listCertificatesByState({ state: 'revoked', federationId: 'f' });
    expect(revoked.length).toBeGreaterThanOrEqual(12);
    expect(revoked.every((c) => c.state === 'revoked' && c.revokedAt instanceof Date && c.revocationReason !== null)).toBe(true);
    expect(await one.queries.listCertificatesByState({ state: 'expired' })).toEqual([]);
    const later = await one.queries.listCertificatesByState({ state: 'expired', now: new Date(Date.now() + 4 * DAY) });
    expect(later.map((c) => c.serial)).toContain(old.serial);
  });
});

describe('a database that goes away', () => {
  it('every kind of call is 503 unavailable with a plain message, and works again when the database is back', async () => {
    const target = new URL(databaseUrl);
    const port = await freePort();
    let proxy = await startTcpProxy(port, [Number(target.port)]);
    target.port = String(port);
    const db = await openStore({ databaseFile: '/nonexistent', databaseUrl: target.toString(), root: ROOT, migrate: false, poolSize: 2 });
    try {
      const auth = new CertificateAuthority({ store: db.store, password: PASSWORD, iterations: 1000 });
      await auth.unlockAll();
      const cert = await issue('outage');
      expect((await db.store.getCertificate(cert.serial))?.serial).toBe(cert.serial);

      await proxy.close();
      const csr = await makeCsr('during-outage');
      const calls: [string, () => Promise<unknown>][] = [
        ['getCertificate', () => db.store.getCertificate(cert.serial)],
        ['signCsr', () => auth.signCsr({ federationId: 'f', csr: csr.der }, { id: 'test' })],
        ['mintToken', () => auth.mintToken('f', { subject: 'x' }, { id: 'test' })],
        ['revoke', () => auth.revoke(cert.serial, {}, { id: 'test' }, 'cli')],
        ['nextCrlNumber', () => db.store.nextCrlNumber('f')],
        ['claimExpiryNotices', () => db.store.claimExpiryNotices({ now: new Date(), limit: 1, leaseUntil: new Date() })],
        ['listCertificates', () => db.queries.listCertificatesByState({})],
        ['settings.get', () => db.settings.get('x')],
        ['users.count', () => db.users.count()],
      ];
      for (const [name, call] of calls) {
        const e = await call().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(isCaError(e) && { code: e.code, status: e.status }, `${name}: ${String(e)}`).toEqual({ code: 'unavailable', status: 503 });
        expect((e as Error).message, name).toMatch(/certificate authority (cannot reach|lost its connection to) its database; try again in a moment/);
        expect((e as Error).message).not.toContain(target.host);
      }
      expect((await one.store.getCertificate(cert.serial))?.status).toBe('valid');

      proxy = await startTcpProxy(port, [Number(new URL(databaseUrl).port)]);
      const back = await auth.revoke(cert.serial, {}, { id: 'test' }, 'cli');
      expect(back.certificate.status).toBe('revoked');
      expect(back.crl).not.toBeNull();
    } finally {
      await db.close();
      await proxy.close();
    }
  });

  it('a database that cannot be reached at start says which one, without its password', async () => {
    const url = new URL(databaseUrl);
    url.port = String(await freePort());
    url.password = 'hunter2';
    const e = await openStore({ databaseFile: '/nonexistent', databaseUrl: url.toString(), root: ROOT }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isCaError(e) && e.code).toBe('unavailable');
    expect((e as Error).message).toContain(`127.0.0.1:${url.port}`);
    expect((e as Error).message).toContain('ECONNREFUSED');
    expect((e as Error).message).not.toContain('hunter2');
  });
});
