/**
 * The lifecycle service (lib/ca) on the real SQLite store, with a controlled clock:
 * revocation, CRL numbering and publishing, the OCSP responder, renewal and rekey,
 * and the expiry notices.
 */

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivityType, auditEntry } from '../lib/ca/audit';
import { CertificateAuthority } from '../lib/ca/authority';
import { signLeafRecord } from '../lib/ca/issue';
import { parseSpki } from '../lib/pki/spki';
import { CRL_EXPIRED_GRACE_SECONDS, CRL_VALIDITY_SECONDS } from '../lib/ca/crl';
import { isCaError } from '../lib/ca/errors';
import { parseReasonCode } from '../lib/ca/revoke';
import { EXPIRY_THRESHOLDS_DAYS, EXPIRY_WEBHOOK_KEY, ExpiryNotifier, RETRY_DELAYS_SECONDS, thresholdWindow, validateWebhookUrl, webhookSettingChange, webhookUrlFrom, type WebhookSender } from '../lib/ca/webhook';
import { createX5cToken } from '../lib/ca/x5c-token';
import { certificatesFromPem, readCertificate, serialToDecimal } from '../lib/pki/certificate';
import { parseCrl } from '../lib/pki/crl';
import { fromPem } from '../lib/pki/pem';
import { createCertId, createOcspRequest, parseOcspResponse } from '../lib/pki/ocsp';
import { verifySignedData } from '../lib/pki/signature';
import { exportPkcs8, importPkcs8 } from '../lib/pki/keys';
import { makeCsr, type TestCsr } from '../test/helpers/csr';
import { createCsr } from '../lib/pki/csr';
import { closeDatabase, openDatabase, type Db } from './client';
import { getSetting, setSettingAudited } from './settings';
import { SqliteCaStore } from './store';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
const DAY = 24 * 3600 * 1000;

interface Env {
  dir: string;
  db: Db;
  store: SqliteCaStore;
  authority: CertificateAuthority;
  clock: { now: Date };
  second: () => Promise<{ db: Db; store: SqliteCaStore; authority: CertificateAuthority }>;
  issue: (cn: string, seconds?: number) => Promise<{ serial: string; der: Uint8Array; csr: TestCsr }>;
  audit: (action: string) => { actor: string; target: string; details: string }[];
}

let env: Env;
const extraDbs: Db[] = [];

async function makeEnv(): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-lifecycle-'));
  const file = join(dir, 'fedpki.db');
  const db = openDatabase({ file, migrationsFolder: MIGRATIONS, synchronous: 'NORMAL' });
  const store = new SqliteCaStore(db);
  const clock = { now: new Date('2026-11-20T12:00:00.000Z') };
  const authority = new CertificateAuthority({ store, password: 'test password', iterations: 1000, now: () => clock.now });
  await authority.createFederation({ id: 'default', name: 'Test', caUrl: 'localhost:9443' }, { id: 'test' });
  return {
    dir,
    db,
    store,
    authority,
    clock,
    second: async () => {
      const db2 = openDatabase({ file, migrationsFolder: MIGRATIONS, synchronous: 'NORMAL' });
      extraDbs.push(db2);
      const store2 = new SqliteCaStore(db2);
      const authority2 = new CertificateAuthority({ store: store2, password: 'test password', iterations: 1000, now: () => clock.now });
      await authority2.unlockAll();
      return { db: db2, store: store2, authority: authority2 };
    },
    issue: async (cn, seconds = 365 * 86400) => {
      const csr = await makeCsr(cn);
      const issued = await authority.signCsr({ federationId: 'default', csr: csr.der, certSeconds: seconds }, { id: 'test' });
      return { serial: issued.record.serial, der: issued.record.der, csr };
    },
    audit: (action) => db.$client.prepare('select actor, target, details from audit_log where action = ? order by id').all(action) as { actor: string; target: string; details: string }[],
  };
}

beforeEach(async () => {
  env = await makeEnv();
});

afterEach(() => {
  for (const d of extraDbs.splice(0)) closeDatabase(d);
  closeDatabase(env.db);
  rmSync(env.dir, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isCaError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a CaError');
}

describe('key compromise', () => {
  /** A CSR for `cn` over an existing key pair (the same key in several certificates). */
  const csrWith = async (keys: CryptoKeyPair, cn: string) => createCsr({ keys, commonName: cn, sans: [cn] });

  it('ok/revoking for keyCompromise revokes every certificate with that key, and the key is refused from then on', async () => {
    const first = await env.issue('site-a');
    const keys = first.csr.keys;
    // The same key again, under another name (a renewal keeps its key too).
    const second = await env.authority.signCsr({ federationId: 'default', csr: await csrWith(keys, 'site-a-alias') }, { id: 'test' });
    const renewed = await env.authority.renew({ presented: first.der, scope: [env.authority.federation('default')] });
    const unrelated = await env.issue('site-b');
    const { certificate, alsoRevoked } = await env.authority.revoke(first.serial, { reasonCode: 1 }, { id: 'user:alice', sourceIp: '10.0.0.9' }, 'portal');
    expect(certificate.status).toBe('revoked');
    const expected = [second.record.serial, renewed.record.serial].sort();
    expect(alsoRevoked.map((c) => c.serial).sort()).toEqual(expected);
    for (const serial of expected) {
      expect(await env.store.getCertificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 1, revokedAt: env.clock.now });
      const row = env.db.$client.prepare('select reason, actor, via from revocations where serial = ?').get(serial);
      expect(row).toEqual({ reason: `same key as ${first.serial}`, actor: 'user:alice', via: 'portal' });
    }
    expect((await env.store.getCertificate(unrelated.serial))?.status).toBe('valid');
    const audits = env.audit('CERT_REVOKED');
    expect(audits).toHaveLength(1 + expected.length);
    expect(audits.slice(1).map((a) => JSON.parse(a.details).sameKeyAs)).toEqual(expected.map(() => first.serial));
    // The CRL lists them all.
    const crl = parseCrl((await env.authority.currentCrl('default')).der);
    expect(crl.entries.map((e) => e.serialNumber).sort()).toEqual([first.serial, ...expected].sort());

    // Refused for that key from now on: a CSR signed in the portal, a token.
    expect(await rejects(env.authority.signCsr({ federationId: 'default', csr: await csrWith(keys, 'site-a') }, { id: 'test' }))).toBe('policy_key_compromised');
    const minted = await env.authority.mintToken('default', { subject: 'site-a' }, { id: 'test' });
    expect(await rejects(env.authority.signWithToken({ csr: await csrWith(keys, 'site-a'), ott: minted.jwt }))).toBe('policy_key_compromised');
    expect((await env.store.getToken(minted.claims.jti))?.state, 'the token is not spent on a refusal').toBe('pending');
    // The same token with a new key works.
    const fresh = await env.authority.signWithToken({ csr: (await makeCsr('site-a')).der, ott: minted.jwt });
    expect(fresh.record.status).toBe('valid');
    // Another reason revokes one certificate only and blocks nothing.
    const other = await env.issue('site-c');
    const sibling = await env.authority.signCsr({ federationId: 'default', csr: await csrWith(other.csr.keys, 'site-c2') }, { id: 'test' });
    expect((await env.authority.revoke(other.serial, { reasonCode: 4 }, { id: 'cli' }, 'cli')).alsoRevoked).toEqual([]);
    expect((await env.store.getCertificate(sibling.record.serial))?.status).toBe('valid');
    await env.authority.signCsr({ federationId: 'default', csr: await csrWith(other.csr.keys, 'site-c3') }, { id: 'test' });
  });

  it('ok/certificates stored before keys were hashed get theirs when the database is opened', async () => {
    const a = await env.issue('old-1');
    const b = await env.issue('old-2');
    const hashes = env.db.$client.prepare('select serial, key_sha256 from certificates order by serial').all() as { serial: string; key_sha256: string }[];
    expect(hashes.map((h) => h.serial).sort()).toEqual([a.serial, b.serial].sort());
    for (const h of hashes) expect(h.key_sha256).toMatch(/^[0-9a-f]{64}$/);
    env.db.$client.prepare('update certificates set key_sha256 = null').run();
    // A row whose DER does not parse must not stop the start nor be fetched forever.
    const broken = await env.issue('old-broken');
    env.db.$client.prepare("update certificates set key_sha256 = null, der = x'3003020101' where serial = ?").run(broken.serial);
    const reopened = await env.second();
    expect(await reopened.store.fillKeyHashes()).toBe(3);
    const after = env.db.$client.prepare('select serial, key_sha256 from certificates order by serial').all() as { serial: string; key_sha256: string }[];
    expect(after.filter((r) => r.serial !== broken.serial)).toEqual(hashes);
    expect(after.find((r) => r.serial === broken.serial)?.key_sha256).toBe('');
    // Done once: later opens do not scan again.
    env.db.$client.prepare('update certificates set key_sha256 = null').run();
    expect(await reopened.store.fillKeyHashes()).toBe(0);
  });
});

describe('revocation', () => {
  it('ok/records status, reason, actor and channel, audits it, and publishes a CRL listing it', async () => {
    const { serial } = await env.issue('node1');
    const { certificate, crl } = await env.authority.revoke(serial, { reasonCode: 1, reason: 'laptop stolen' }, { id: 'user:alice', sourceIp: '10.0.0.1' }, 'portal');
    expect(certificate).toMatchObject({ status: 'revoked', revocationReason: 1, revokedAt: env.clock.now });
    const row = env.db.$client.prepare('select * from revocations where serial = ?').get(serial) as Record<string, unknown>;
    expect(row).toMatchObject({ reason_code: 1, reason: 'laptop stolen', actor: 'user:alice', via: 'portal' });
    const [audit] = env.audit('CERT_REVOKED');
    expect(audit).toMatchObject({ actor: 'user:alice', target: serial });
    expect(JSON.parse(audit!.details)).toMatchObject({ reasonCode: 1, reason: 'keyCompromise', via: 'portal', text: 'laptop stolen' });
    const parsed = parseCrl(crl!.der);
    expect(parsed.entries).toEqual([{ serialNumber: serial, revocationDate: env.clock.now, reasonCode: 1 }]);
    expect(env.audit('CRL_PUBLISHED')).toHaveLength(1);
  });

  it('fail/twice is already_revoked and changes nothing; unknown serials and unpublished reasons are refused', async () => {
    const { serial } = await env.issue('node1');
    await env.authority.revoke(serial, {}, { id: 'cli' }, 'cli');
    expect(await rejects(env.authority.revoke(serial, { reasonCode: 4 }, { id: 'cli' }, 'cli'))).toBe('already_revoked');
    expect(env.audit('CERT_REVOKED')).toHaveLength(1);
    expect(await rejects(env.authority.revoke('0abc', {}, { id: 'cli' }))).toBe('not_found');
    expect(await rejects(env.authority.revoke('zz', {}, { id: 'cli' }))).toBe('serial_invalid');
    // 7 is unused, 8 (removeFromCRL) is for delta CRLs, 6 (certificateHold) could never be lifted, 2 and 10 are for CAs
    for (const bad of [2, 6, 7, 8, 10, 11]) expect(await rejects(env.authority.revoke(serial, { reasonCode: bad }, { id: 'cli' }))).toBe('bad_request');
    expect(parseReasonCode('KEYCOMPROMISE')).toBe(1);
    expect(parseReasonCode('superseded')).toBe(4);
    expect(parseReasonCode(undefined)).toBe(0);
  });

  it('ok/a revoke token revokes its certificate once; it is refused for another serial', async () => {
    const a = await env.issue('a');
    const b = await env.issue('b');
    const minted = await env.authority.mintRevokeToken({ serial: a.serial }, { id: 'cli' });
    expect(minted.claims.sub).toBe(serialToDecimal(a.serial));
    expect(minted.claims.aud).toBe('https://localhost:9443/1.0/revoke');
    expect(minted.claims.role, 'a revoke token names no node role').toBeUndefined();
    expect(await rejects(env.authority.revokeWithToken({ serial: serialToDecimal(b.serial), ott: minted.jwt }))).toBe('forbidden');
    const done = await env.authority.revokeWithToken({ serial: serialToDecimal(a.serial), ott: minted.token, reasonCode: 5 });
    expect(done.certificate.revocationReason).toBe(5);
    expect((await env.store.getToken(minted.claims.jti))?.state).toBe('used');
    expect(await rejects(env.authority.revokeWithToken({ serial: serialToDecimal(a.serial), ott: minted.jwt }))).toBe('token_used');
    // A sign token is not a revoke token.
    const sign = await env.authority.mintToken('default', { subject: 'x' }, { id: 'cli' });
    expect(await rejects(env.authority.revokeWithToken({ serial: serialToDecimal(b.serial), ott: sign.jwt }))).toBe('token_audience_invalid');
  });

  it('ok/a certificate may revoke itself over mTLS, and only itself', async () => {
    const a = await env.issue('a');
    const b = await env.issue('b');
    const scope = env.authority.keyring.list();
    expect(await rejects(env.authority.revokeWithCertificate({ serial: serialToDecimal(b.serial), presented: a.der, scope }))).toBe('forbidden');
    const r = await env.authority.revokeWithCertificate({ serial: serialToDecimal(a.serial), presented: a.der, scope, reasonCode: 1 });
    expect(r.certificate.status).toBe('revoked');
    expect(await rejects(env.authority.revokeWithCertificate({ serial: serialToDecimal(a.serial), presented: a.der, scope }))).toBe('already_revoked');
  });
});

describe('CRLs', () => {
  it('ok/numbers only increase, also between two processes on one database', async () => {
    const other = await env.second();
    const numbers: number[] = [];
    for (let i = 0; i < 6; i++) {
      const who = i % 2 ? other.authority : env.authority;
      numbers.push((await who.crls.publish('default')).number);
    }
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(6);
    const concurrent = await Promise.all([env.store.nextCrlNumber('default'), other.store.nextCrlNumber('default'), env.store.nextCrlNumber('default')]);
    expect(new Set(concurrent).size).toBe(3);
    // A build that lost the race is not stored over a newer one.
    const stored = await env.store.getCrl('default');
    expect(await env.store.saveCrl({ ...stored!, number: stored!.number - 1 }, { at: env.clock.now, action: 'CRL_PUBLISHED', actor: 'test', sourceIp: null, federationId: 'default', target: null, outcome: 'success', details: null })).toBe(false);
  });

  it('ok/concurrent publish requests share builds', async () => {
    let builds = 0;
    const original = env.store.nextCrlNumber.bind(env.store);
    env.store.nextCrlNumber = (id) => {
      builds++;
      return original(id);
    };
    const results = await Promise.all(Array.from({ length: 8 }, () => env.authority.crls.publish('default')));
    expect(builds).toBeLessThanOrEqual(2);
    expect(results.at(-1)!.number).toBeGreaterThanOrEqual(results[0]!.number);
  });

  it('ok/revoked certificates leave the list a day after they expire', async () => {
    const short = await env.issue('short', 3600);
    const long = await env.issue('long');
    await env.authority.revoke(short.serial, {}, { id: 'test' });
    await env.authority.revoke(long.serial, {}, { id: 'test' });
    env.clock.now = new Date(env.clock.now.getTime() + 3600_000 + CRL_EXPIRED_GRACE_SECONDS * 1000 - 60_000);
    expect(parseCrl((await env.authority.crls.publish('default')).der).entries.map((e) => e.serialNumber).sort()).toEqual([long.serial, short.serial].sort());
    env.clock.now = new Date(env.clock.now.getTime() + 120_000);
    expect(parseCrl((await env.authority.crls.publish('default')).der).entries.map((e) => e.serialNumber)).toEqual([long.serial]);
  });

  it('ok/is due when missing, at two thirds of its life, or older than a revocation made elsewhere', async () => {
    expect(await env.authority.crls.isDue('default')).toBe(true);
    const crl = await env.authority.currentCrl('default');
    expect(crl.nextUpdate.getTime() - env.clock.now.getTime()).toBe(CRL_VALIDITY_SECONDS * 1000);
    expect(await env.authority.crls.isDue('default')).toBe(false);
    const { serial } = await env.issue('n');
    env.clock.now = new Date(env.clock.now.getTime() + 5000);
    // Another process revoked without publishing (e.g. it was killed in between).
    const other = await env.second();
    await other.store.markRevoked(
      { serial, federationId: 'default', reasonCode: 0, reason: null, revokedAt: env.clock.now, expiresAt: new Date(env.clock.now.getTime() + DAY), actor: 'x', via: 'cli' },
      { at: env.clock.now, action: 'CERT_REVOKED', actor: 'x', sourceIp: null, federationId: 'default', target: serial, outcome: 'success', details: null },
    );
    expect(await env.authority.crls.isDue('default')).toBe(true);
    expect(await env.authority.crls.refreshDue(['default'])).toEqual(['default']);
    expect(await env.authority.crls.isDue('default')).toBe(false);
    env.clock.now = new Date(env.clock.now.getTime() + (CRL_VALIDITY_SECONDS * 2000) / 3);
    expect(await env.authority.crls.isDue('default')).toBe(true);
    // The stored CRL published by the other process is what `current` serves.
    const published = await other.authority.crls.publish('default');
    expect((await env.authority.currentCrl('default')).number).toBe(published.number);
  });

  it('ok/a revocation recorded in the same second as the build is not missed', async () => {
    await env.authority.crls.publish('default');
    const { serial } = await env.issue('same-second');
    // Same clock reading as the build: only exact coverage tells this one apart.
    const other = await env.second();
    await other.store.markRevoked(
      { serial, federationId: 'default', reasonCode: 1, reason: null, revokedAt: env.clock.now, expiresAt: new Date(env.clock.now.getTime() + DAY), actor: 'x', via: 'cli' },
      { at: env.clock.now, action: 'CERT_REVOKED', actor: 'x', sourceIp: null, federationId: 'default', target: serial, outcome: 'success', details: null },
    );
    expect(await env.authority.crls.isDue('default')).toBe(true);
    await env.authority.crls.refreshDue(['default']);
    expect(await env.authority.crls.isDue('default')).toBe(false);
  });
});

describe('OCSP', () => {
  async function ask(serials: string[], nonce?: Uint8Array, issuer = env.authority.federation('default').intermediate.fields) {
    const ids = await Promise.all(serials.map((s) => createCertId({ issuerName: issuer.subjectDer, issuerPublicKey: issuer.publicKey.subjectPublicKey, serialNumber: s })));
    const answer = await env.authority.ocsp(createOcspRequest(ids, nonce), env.authority.keyring.list());
    return parseOcspResponse(answer.der);
  }

  it('ok/good, revoked with time and reason, unknown; signed by the intermediate; nonce echoed', async () => {
    const good = await env.issue('good');
    const bad = await env.issue('bad');
    await env.authority.revoke(bad.serial, { reasonCode: 1 }, { id: 'test' });
    const res = await ask([good.serial, bad.serial, '0123456789'], Uint8Array.of(1, 2, 3));
    expect(res.status).toBe('successful');
    expect(res.responses.map((r) => r.status)).toEqual([{ status: 'good' }, { status: 'revoked', revokedAt: env.clock.now, reasonCode: 1 }, { status: 'unknown' }]);
    expect(res.responses[0]!.nextUpdate!.getTime() - env.clock.now.getTime()).toBe(3600_000);
    expect(res.responses[0]!.thisUpdate.getTime()).toBeLessThan(env.clock.now.getTime());
    expect([...res.nonce!]).toEqual([0x04, 3, 1, 2, 3]);
    const int = env.authority.federation('default').intermediate.fields;
    expect(await verifySignedData({ data: res.tbs!, algorithm: res.signatureAlgorithm, signature: res.signature! }, int.publicKey)).toBe(true);
  });

  it('ok/reason unspecified is left out, as in the CRL; a fresh revocation is not answered with a thisUpdate before it', async () => {
    const node = await env.issue('unspecified');
    await env.authority.revoke(node.serial, {}, { id: 'test' });
    const [answer] = (await ask([node.serial])).responses;
    expect(answer!.status).toEqual({ status: 'revoked', revokedAt: env.clock.now });
    expect(answer!.thisUpdate).toEqual(env.clock.now);
  });

  it('fail/another issuer is unauthorized; garbage is malformedRequest', async () => {
    const other = await env.authority.createFederation({ id: 'other', name: 'Other', caUrl: 'localhost:9444' }, { id: 'test' });
    const scope = [env.authority.federation('default')];
    const id = await createCertId({ issuerName: other.intermediate.fields.subjectDer, issuerPublicKey: other.intermediate.fields.publicKey.subjectPublicKey, serialNumber: '01' });
    expect(parseOcspResponse((await env.authority.ocsp(createOcspRequest([id]), scope)).der).status).toBe('unauthorized');
    expect(parseOcspResponse((await env.authority.ocsp(Uint8Array.of(1, 2, 3), scope)).der).status).toBe('malformedRequest');
  });
});

describe('renewal and rekey', () => {
  const scope = () => env.authority.keyring.list();

  it('ok/renews: same names and key, new serial and validity, renewedFrom, audit; the old one stays valid', async () => {
    const old = await env.issue('node1', 30 * 86400);
    env.clock.now = new Date(env.clock.now.getTime() + 10 * DAY);
    const issued = await env.authority.renew({ presented: old.der, scope: scope() });
    const fields = readCertificate(issued.record.der);
    expect(issued.record).toMatchObject({ commonName: 'node1', sans: ['node1'], source: 'renew', renewedFrom: old.serial, issuedBy: `mtls:${old.serial}` });
    expect(issued.record.serial).not.toBe(old.serial);
    expect(fields.notAfter.getTime() - fields.notBefore.getTime()).toBe(30 * DAY + 60_000);
    expect(fields.notBefore.getTime()).toBe(env.clock.now.getTime() - 60_000);
    expect(Buffer.from(fields.publicKey.der).equals(Buffer.from(readCertificate(old.der).publicKey.der))).toBe(true);
    expect((await env.store.getCertificate(old.serial))?.status).toBe('valid');
    expect(JSON.parse(env.audit('CERT_RENEWED')[0]!.details)).toMatchObject({ renewedFrom: old.serial, rekey: false, via: 'mtls' });
  });

  it('fail/revoked, expired (unless the federation allows it), foreign, or not on record', async () => {
    const revoked = await env.issue('r');
    await env.authority.revoke(revoked.serial, {}, { id: 'test' });
    expect(await rejects(env.authority.renew({ presented: revoked.der, scope: scope() }))).toBe('certificate_revoked');

    const short = await env.issue('s', 3600);
    env.clock.now = new Date(env.clock.now.getTime() + 2 * 3600_000);
    expect(await rejects(env.authority.renew({ presented: short.der, scope: scope() }))).toBe('certificate_expired');
    await env.authority.updateFederation('default', { allowRenewAfterExpiry: true }, { id: 'test' });
    expect((await env.authority.renew({ presented: short.der, scope: scope() })).record.renewedFrom).toBe(short.serial);

    const other = await env.authority.createFederation({ id: 'other', name: 'Other', caUrl: 'localhost:9444' }, { id: 'test' });
    const csr = await makeCsr('foreign');
    const foreign = await env.authority.signCsr({ federationId: 'other', csr: csr.der }, { id: 'test' });
    expect(await rejects(env.authority.renew({ presented: foreign.record.der, scope: [env.authority.federation('default')] }))).toBe('unauthenticated');
    expect(other.federation.id).toBe('other');
    expect(await rejects(env.authority.renew({ presented: Uint8Array.of(0x30, 0), scope: scope() }))).toBe('unauthenticated');
    const fine = await env.issue('fine');
    await env.authority.updateFederation('default', { status: 'disabled' }, { id: 'test' });
    expect(await rejects(env.authority.renew({ presented: fine.der, scope: scope() }))).toBe('federation_disabled');
  });

  it('fail/a certificate whose key the policy no longer accepts (RSA, exponent 3) cannot renew with the same key, only rekey', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const ctx = env.authority.federation('default');
    const now = env.clock.now;
    const record = await signLeafRecord({
      ctx,
      csr: { publicKey: parseSpki(new Uint8Array(weak.publicKey.export({ type: 'spki', format: 'der' }))) },
      commonName: 'old-rsa',
      sans: ['old-rsa'],
      notBefore: now,
      notAfter: new Date(now.getTime() + 30 * DAY),
      role: 'collaborator',
      source: 'csr',
      tokenJti: null,
      renewedFrom: null,
      issuedBy: 'test',
      now,
    });
    await env.store.recordIssuance({ certificate: record, now, audit: auditEntry(ActivityType.CERT_ISSUED, { at: now, actor: 'test', target: record.serial }) });
    expect(await rejects(env.authority.renew({ presented: record.der, scope: scope() }))).toBe('policy_key_weak');
    const rekeyed = await env.authority.rekey({ presented: record.der, scope: scope(), csr: (await makeCsr('old-rsa')).der });
    expect(rekeyed.record).toMatchObject({ source: 'rekey', renewedFrom: record.serial });
  });

  it('fail/signed by the intermediate but not on record: the CA\'s own TLS certificate cannot renew', async () => {
    const count = () => (env.db.$client.prepare('select count(*) as n from certificates').get() as { n: number }).n;
    const before = count();
    const tls = await env.authority.issueTlsCredentials('default', ['localhost']);
    const [leaf] = certificatesFromPem(tls.certificateChain);
    const intermediate = env.authority.federation('default').intermediate.fields;
    const fields = readCertificate(leaf!);
    expect(await verifySignedData({ data: fields.tbs, algorithm: fields.signatureAlgorithm, signature: fields.signature }, intermediate.publicKey)).toBe(true);
    const refusal = await env.authority.renew({ presented: leaf!, scope: scope() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCaError(refusal) && refusal.code).toBe('unauthenticated');
    expect((refusal as Error).message).toMatch(/no record of the certificate/);
    expect(count()).toBe(before);
    expect(env.audit('CERT_RENEWED')).toHaveLength(0);
  });

  it('ok/x5c renewal token: accepted once; wrong audience, tampered or reused tokens are refused', async () => {
    const old = await env.issue('node2');
    const key = await importPkcs8(await exportPkcs8(old.csr.keys.privateKey));
    const token = (o: Partial<Parameters<typeof createX5cToken>[0]> = {}) =>
      createX5cToken({ chain: [old.der], key, audience: 'https://localhost:9443/1.0/renew', subject: 'node2', now: env.clock.now, ...o });
    const t = await token();
    const issued = await env.authority.renewWithToken({ token: t, scope: scope() });
    expect(issued.record).toMatchObject({ renewedFrom: old.serial, issuedBy: `x5c:${old.serial}` });
    expect(await rejects(env.authority.renewWithToken({ token: t, scope: scope() }))).toBe('token_used');
    expect(await rejects(env.authority.renewWithToken({ token: await token({ audience: 'https://elsewhere:9443/1.0/renew' }), scope: scope() }))).toBe('unauthenticated');
    expect(await rejects(env.authority.renewWithToken({ token: await token({ audience: 'https://localhost:9443/1.0/sign' }), scope: scope() }))).toBe('unauthenticated');
    expect(await rejects(env.authority.renewWithToken({ token: await token({ subject: 'someone-else' }), scope: scope() }))).toBe('unauthenticated');
    expect(await rejects(env.authority.renewWithToken({ token: await token({ ttlSeconds: 7200 }), scope: scope() }))).toBe('unauthenticated');
    // The browser page names the address it was loaded from: accepted when the request went there.
    const byIp = await token({ audience: 'https://127.0.0.1:9443/1.0/renew' });
    expect(await rejects(env.authority.renewWithToken({ token: byIp, scope: scope(), requestHost: 'elsewhere' }))).toBe('unauthenticated');
    expect((await env.authority.renewWithToken({ token: byIp, scope: scope(), requestHost: '127.0.0.1' })).record.renewedFrom).toBe(old.serial);
    const tampered = await token();
    expect(await rejects(env.authority.renewWithToken({ token: `${tampered.slice(0, -4)}AAAA`, scope: scope() }))).toBe('unauthenticated');
    const stolen = await env.issue('node3');
    const forged = await createX5cToken({ chain: [stolen.der], key, audience: 'https://localhost:9443/1.0/renew', subject: 'node3', now: env.clock.now });
    expect(await rejects(env.authority.renewWithToken({ token: forged, scope: scope() }))).toBe('unauthenticated');
  });

  it('ok/rekey: the CSR key, the certificate names; a token binds its CSR', async () => {
    const old = await env.issue('node4');
    const fresh = await makeCsr('ignored-name', ['ignored-name'], 'EC-P384');
    const issued = await env.authority.rekey({ presented: old.der, csr: fresh.der, scope: scope() });
    expect(issued.record).toMatchObject({ commonName: 'node4', sans: ['node4'], source: 'rekey', keyDescription: 'EC P-384' });
    const key = await importPkcs8(await exportPkcs8(old.csr.keys.privateKey));
    const bound = await createX5cToken({ chain: [old.der], key, audience: 'https://localhost:9443/1.0/rekey', subject: 'node4', now: env.clock.now, csrDer: fresh.der });
    const other = await makeCsr('x');
    expect(await rejects(env.authority.renewWithToken({ token: bound, csr: other.der, scope: scope() }))).toBe('forbidden');
    const bound2 = await createX5cToken({ chain: [old.der], key, audience: 'https://localhost:9443/1.0/rekey', subject: 'node4', now: env.clock.now, csrDer: fresh.der });
    expect((await env.authority.renewWithToken({ token: bound2, csr: fresh.der, scope: scope() })).record.source).toBe('rekey');
    const chain = certificatesFromPem(issued.chain.join(''));
    expect(chain).toHaveLength(2);
    expect(fromPem(issued.intermediate)).toBeDefined();
  });
});

describe('expiry notices', () => {
  interface Sent {
    url: string;
    body: Record<string, unknown>;
    headers: Record<string, string>;
  }

  function notifier(status: () => number | Error, url: string | null = 'https://hooks.example.org/fedpki') {
    const sent: Sent[] = [];
    const send: WebhookSender = async (u, body, headers) => {
      sent.push({ url: u, body: JSON.parse(body) as Record<string, unknown>, headers });
      const s = status();
      if (s instanceof Error) throw s;
      return { status: s };
    };
    return { sent, n: new ExpiryNotifier({ store: env.store, webhookUrl: () => url ?? undefined, now: () => env.clock.now, send }) };
  }

  it('ok/thresholds', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    expect(thresholdWindow(30, now)).toEqual({ from: at(7), until: at(30) });
    expect(thresholdWindow(7, now)).toEqual({ from: at(1), until: at(7) });
    expect(thresholdWindow(1, now)).toEqual({ from: at(0), until: at(1) });
    // A certificate is due for the threshold whose (from, until] window holds its expiry (as the store queries it): at most one.
    const due = (notAfter: Date) => {
      const hits = EXPIRY_THRESHOLDS_DAYS.filter((t) => {
        const { from, until } = thresholdWindow(t, now);
        return notAfter.getTime() > from.getTime() && notAfter.getTime() <= until.getTime();
      });
      expect(hits.length).toBeLessThanOrEqual(1);
      return hits[0];
    };
    expect([40, 30, 29, 7.5, 7, 2, 1, 0.5, 0, -1].map((d) => due(at(d)))).toEqual([undefined, 30, 30, 30, 7, 7, 1, 1, undefined, undefined]);
    expect(() => validateWebhookUrl('ftp://x')).toThrow();
    expect(() => validateWebhookUrl('https://user:pw@x.org/')).toThrow();
    expect(validateWebhookUrl(' https://x.org/hook?k=1 ')).toBe('https://x.org/hook?k=1');
  });

  it('ok/once per certificate and threshold, only the most urgent when first seen; revoked and renewed ones are not announced', async () => {
    const in20 = await env.issue('in20', 20 * 86400);
    const in3 = await env.issue('in3', 3 * 86400);
    const in10h = await env.issue('in10h', 10 * 3600);
    await env.issue('in60', 60 * 86400);
    const revoked = await env.issue('revoked', 5 * 86400);
    await env.authority.revoke(revoked.serial, {}, { id: 'test' });
    const renewed = await env.issue('renewed', 6 * 86400);
    env.clock.now = new Date(env.clock.now.getTime() + 1000);
    const renewal = await env.authority.renew({ presented: renewed.der, scope: env.authority.keyring.list() });

    const { sent, n } = notifier(() => 200);
    expect(await n.run()).toMatchObject({ queued: 4, delivered: 4 });
    const got = sent.map((s) => [(s.body.certificate as { serial: string }).serial, s.body.thresholdDays]).sort();
    // The renewal (also 6 days long) is announced; the certificate it replaced is not.
    expect(got).toEqual([[in10h.serial, 1], [in20.serial, 30], [in3.serial, 7], [renewal.record.serial, 7]].sort());
    expect(sent.find((s) => (s.body.certificate as { serial: string }).serial === in20.serial)!.body).toMatchObject({
      event: 'certificate.expiring',
      thresholdDays: 30,
      certificate: { commonName: 'in20', federation: 'default', sans: ['in20'], role: 'collaborator' },
    });
    expect(sent[0]!.headers['X-FedPKI-Event']).toBe('certificate.expiring');
    expect(sent.find((s) => (s.body.certificate as { serial: string }).serial === in3.serial)!.headers['X-FedPKI-Delivery']).toBe(`${in3.serial}:7`);
    expect(await n.run()).toMatchObject({ queued: 0, delivered: 0 });
    expect(env.audit('WEBHOOK_SENT')).toHaveLength(4);

    env.clock.now = new Date(env.clock.now.getTime() + 14 * DAY);
    await n.run();
    expect(sent.slice(4).map((s) => [(s.body.certificate as { serial: string }).serial, s.body.thresholdDays])).toEqual([[in20.serial, 7]]);
    expect(in10h.serial).toBeDefined();
  });

  it('ok/retries with back-off, then gives up with an audit entry; a timeout is a failed attempt', async () => {
    await env.issue('flaky', 2 * 86400);
    let calls = 0;
    const { n } = notifier(() => (++calls === 1 ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : 503));
    expect(await n.run()).toMatchObject({ delivered: 0, retrying: 1 });
    expect(await n.run()).toMatchObject({ retrying: 0 }); // not due yet
    for (const delay of RETRY_DELAYS_SECONDS) {
      env.clock.now = new Date(env.clock.now.getTime() + delay * 1000);
      await n.run();
    }
    expect(calls).toBe(RETRY_DELAYS_SECONDS.length + 1);
    const row = env.db.$client.prepare('select state, attempts, last_error from webhook_deliveries').get();
    expect(row).toEqual({ state: 'failed', attempts: RETRY_DELAYS_SECONDS.length + 1, last_error: 'HTTP 503' });
    expect(env.audit('WEBHOOK_FAILED')).toHaveLength(1);
    env.clock.now = new Date(env.clock.now.getTime() + 3600_000);
    await n.run();
    expect(calls).toBe(RETRY_DELAYS_SECONDS.length + 1);
  });

  it('ok/nothing without a URL; the setting is audited without its query string', async () => {
    await env.issue('soon', 86400);
    const { sent, n } = notifier(() => 200, null);
    expect(await n.run()).toEqual({ queued: 0, delivered: 0, retrying: 0, failed: 0 });
    expect(sent).toHaveLength(0);
    const set = webhookSettingChange('https://hooks.example.org/x?secret=abc', { id: 'user:alice' });
    setSettingAudited(env.db, EXPIRY_WEBHOOK_KEY, set.value, set.audit);
    expect(webhookUrlFrom(getSetting(env.db, EXPIRY_WEBHOOK_KEY))).toBe('https://hooks.example.org/x?secret=abc');
    const [audit] = env.audit('SETTINGS_UPDATED');
    expect(audit!.details).not.toContain('secret');
    const clear = webhookSettingChange(null, { id: 'user:alice' });
    setSettingAudited(env.db, EXPIRY_WEBHOOK_KEY, clear.value, clear.audit);
    expect(webhookUrlFrom(getSetting(env.db, EXPIRY_WEBHOOK_KEY))).toBeUndefined();
  });
});
