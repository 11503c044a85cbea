/**
 * The /sign pipeline against an in-memory store (a test double of storage only: keys,
 * tokens, CSRs and certificates are all real). Every refusal is checked for its code,
 * for leaving no certificate behind and for leaving the token pending.
 */

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCsr, parseCsr } from '../pki/csr';
import { readCertificate, fingerprint, describeCertificate } from '../pki/certificate';
import { toHex, toBase64Url, utf8 } from '../pki/encoding';
import { generateKeyPair, type KeySpec } from '../pki/keys';
import { fromPem } from '../pki/pem';
import { MemoryCaStore } from '@/test/helpers/memory-store';
import { NOW, NOW_S, TEST_ITERATIONS, TEST_PASSWORD, crossCheckCertificate, csrFixture, flipBit } from '@/test/helpers/unit';
import { ActivityType } from './audit';
import { CertificateAuthority } from './authority';
import type { FederationContext } from './keyring';
import { checkCsr } from './issue';
import { audienceFor, newJti, signJwt, type TokenClaims } from './token';
import type { TokenRecord } from './types';
import type { TimeSpec } from './validity';

const ALICE = { id: 'user:alice', sourceIp: '192.0.2.1' };

let store: MemoryCaStore;
let ca: CertificateAuthority;
let ctx: FederationContext;
let clock: Date;

beforeAll(async () => {
  store = new MemoryCaStore();
  clock = NOW;
  ca = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => clock });
  ctx = await ca.createFederation({ id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123' }, ALICE);
});

beforeEach(() => {
  clock = NOW;
});

async function csrFor(commonName: string, sans: string[] = [commonName], spec: KeySpec = 'EC-P256'): Promise<Uint8Array> {
  return createCsr({ keys: await generateKeyPair(spec), commonName, sans });
}

async function mint(subject = 'collaborator1', extra: { sans?: string[]; certSeconds?: number; ttlSeconds?: number } = {}) {
  return ca.mintToken('unit', { subject, ...extra }, ALICE);
}

/** A token signed by the federation's real provisioner key, with chosen claims and stored record. */
async function forge(o: { claims?: Partial<TokenClaims>; record?: Partial<TokenRecord> | false; header?: object } = {}) {
  const claims: TokenClaims = {
    aud: audienceFor(ctx.federation.caUrl),
    exp: NOW_S + 3600,
    iat: NOW_S,
    iss: ctx.provisioner.name,
    jti: newJti(),
    nbf: NOW_S,
    sans: ['collaborator1'],
    sha: ctx.root.fingerprint,
    sub: 'collaborator1',
    ...o.claims,
  };
  const jwt = await signJwt({ alg: 'ES256', kid: ctx.provisioner.kid, typ: 'JWT', ...o.header }, claims, await ctx.provisioner.privateKey());
  if (o.record !== false) {
    await store.insertToken(
      {
        jti: claims.jti,
        federationId: 'unit',
        kind: 'sign',
        subject: claims.sub,
        sans: claims.sans,
        role: 'collaborator',
        certSeconds: 365 * 86400,
        notBefore: new Date(claims.nbf * 1000),
        expiresAt: new Date(claims.exp * 1000),
        createdAt: NOW,
        createdBy: 'test',
        state: 'pending',
        usedAt: null,
        certSerial: null,
        cancelledAt: null,
        cancelledBy: null,
        binding: null,
        ...o.record,
      },
      { at: NOW, action: 'TOKEN_MINTED', actor: 'test', sourceIp: null, federationId: 'unit', target: null, outcome: 'success', details: null },
    );
  }
  return { jwt, claims };
}

const audits = () => store.audit.length;

describe('signWithToken: issued', () => {
  it.each<[string, KeySpec, string]>([
    ['ok/P-256 request', 'EC-P256', 'EC P-256'],
    ['ok/P-384 request', 'EC-P384', 'EC P-384'],
    ['ok/RSA-2048 request', 'RSA-2048', 'RSA 2048'],
  ])('%s', async (_name, spec, keyText) => {
    const sans = ['collaborator1', 'collaborator1.fed.example', '10.0.0.7'];
    const minted = await mint('collaborator1', { sans });
    const auditBefore = audits();
    const out = await ca.signWithToken({ csr: await csrFor('collaborator1', sans, spec), ott: minted.jwt, sourceIp: '198.51.100.7' });

    const der = fromPem(out.certificate, 'CERTIFICATE')!;
    await crossCheckCertificate(der, ctx.intermediate.der);
    const info = await describeCertificate(der);
    expect(info).toMatchObject({
      subject: 'CN=collaborator1',
      sans: ['DNS:collaborator1', 'DNS:collaborator1.fed.example', 'IP:10.0.0.7'],
      keyUsage: spec === 'RSA-2048' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      basicConstraints: { ca: false },
      publicKey: keyText,
    });
    expect(info.notBefore).toEqual(new Date(NOW.getTime() - 60_000));
    expect(info.notAfter).toEqual(new Date(NOW.getTime() + 365 * 86400_000));

    expect(out.chain).toEqual([out.certificate, ctx.intermediate.pem]);
    expect(out.intermediate).toBe(ctx.intermediate.pem);
    expect(out.root).toBe(ctx.root.pem);
    const r = out.record;
    expect(r).toMatchObject({
      serial: readCertificate(der).serialNumber,
      federationId: 'unit',
      commonName: 'collaborator1',
      sans,
      role: 'collaborator',
      keyDescription: keyText,
      source: 'token',
      tokenJti: minted.claims.jti,
      renewedFrom: null,
      issuedBy: `token:${minted.claims.jti.slice(0, 12)}`,
      createdAt: NOW,
      status: 'valid',
    });
    expect(r.serial).toMatch(/^(?!00)[0-7][0-9a-f]{31}$/);
    expect(r.fingerprint).toBe(await fingerprint(der));

    expect(store.certificates.get(r.serial)?.der).toEqual(der);
    expect(store.tokens.get(minted.claims.jti)).toMatchObject({ state: 'used', usedAt: NOW, certSerial: r.serial });
    expect(store.audit.slice(auditBefore)).toEqual([
      expect.objectContaining({
        action: ActivityType.CERT_ISSUED,
        actor: r.issuedBy,
        sourceIp: '198.51.100.7',
        federationId: 'unit',
        target: r.serial,
        outcome: 'success',
        details: { subject: 'collaborator1', sans, key: keyText, notAfter: r.notAfter.toISOString() },
      }),
    ]);
  });

  it('ok/the step CLI request with a token for collaborator1, sent as the whole OpenFL token', async () => {
    const minted = await mint('collaborator1');
    const out = await ca.signWithToken({ csr: csrFixture('step/step-cli-p384.csr'), ott: minted.token });
    const der = fromPem(out.certificate, 'CERTIFICATE')!;
    await crossCheckCertificate(der, ctx.intermediate.der);
    expect(readCertificate(der).publicKey.der).toEqual(parseCsr(csrFixture('step/step-cli-p384.csr')).publicKey.der);
    expect((await describeCertificate(der)).sans).toEqual(['DNS:collaborator1']);
  });

  it.each(['p-256', 'p-384', 'p-521', 'rsa-2048'])('ok/OpenSSL %s request for node1', async (name) => {
    const minted = await mint('node1');
    const out = await ca.signWithToken({ csr: csrFixture(name), ott: minted.jwt });
    expect(out.record.commonName).toBe('node1');
  });

  it('ok/a CSR without SANs gets the token SANs', async () => {
    const minted = await mint('collaborator1', { sans: ['collaborator1', '10.0.0.9'] });
    const out = await ca.signWithToken({ csr: await csrFor('collaborator1', []), ott: minted.jwt });
    expect((await describeCertificate(fromPem(out.certificate)!)).sans).toEqual(['DNS:collaborator1', 'IP:10.0.0.9']);
  });

  it('ok/requested notBefore/notAfter within the token lifetime; shorter token lifetime', async () => {
    const minted = await mint('collaborator1', { certSeconds: 7 * 86400 });
    const notAfter: TimeSpec = { kind: 'relative', seconds: 3 * 86400 };
    const out = await ca.signWithToken({ csr: await csrFor('collaborator1'), ott: minted.jwt, notAfter });
    expect(out.record.notAfter).toEqual(new Date(NOW.getTime() + 3 * 86400_000));
    const minted2 = await mint('collaborator1', { certSeconds: 7 * 86400 });
    const out2 = await ca.signWithToken({ csr: await csrFor('collaborator1'), ott: minted2.jwt });
    expect(out2.record.notAfter).toEqual(new Date(NOW.getTime() + 7 * 86400_000));
  });

  it('ok/a token used 50 s after it expired (within the leeway)', async () => {
    const minted = await mint('collaborator1', { ttlSeconds: 300 });
    clock = new Date(NOW.getTime() + 350_000);
    await expect(ca.signWithToken({ csr: await csrFor('collaborator1'), ott: minted.jwt })).resolves.toBeDefined();
  });
});

describe('signWithToken: refused, nothing stored, token still pending', () => {
  /** Runs a refused request and checks what it must leave behind. */
  async function expectRefused(ott: string, jti: string | undefined, csr: Uint8Array | Promise<Uint8Array>, code: string, o: { audited?: boolean; target?: string; notAfter?: TimeSpec; notBefore?: TimeSpec } = {}) {
    const certs = store.certificates.size;
    const auditBefore = audits();
    const stateBefore = jti ? store.tokens.get(jti)?.state : undefined;
    const e = await ca.signWithToken({ csr: await csr, ott, notAfter: o.notAfter, notBefore: o.notBefore }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e, `expected ${code}`).toMatchObject({ name: 'CaError', code });
    expect(store.certificates.size).toBe(certs);
    if (jti && stateBefore) expect(store.tokens.get(jti)!.state).toBe(stateBefore);
    const added = store.audit.slice(auditBefore);
    if (o.audited) expect(added).toEqual([expect.objectContaining({ action: ActivityType.TOKEN_REFUSED, outcome: 'failure', target: o.target ?? 'collaborator1', details: { code } })]);
    else expect(added).toEqual([]);
    return e as Error;
  }

  describe('the request itself (checked before the token: no audit)', () => {
    it('fail/csr_malformed: not DER', async () => {
      const m = await mint();
      await expectRefused(m.jwt, m.claims.jti, Promise.resolve(utf8('hello')), 'csr_malformed');
    });

    it('fail/csr_malformed: truncated', async () => {
      const m = await mint();
      const csr = await csrFor('collaborator1');
      await expectRefused(m.jwt, m.claims.jti, Promise.resolve(csr.subarray(0, csr.length - 2)), 'csr_malformed');
    });

    it.each<[string, string, string]>([
      ['fail/policy_key_weak: RSA 1024', 'rsa-1024', 'policy_key_weak'],
      ['fail/policy_key_unsupported: Ed25519', 'ed25519', 'policy_key_unsupported'],
      ['fail/policy_key_unsupported: secp256k1', 'secp256k1', 'policy_key_unsupported'],
      ['fail/policy_key_unsupported: DSA', 'dsa-2048', 'policy_key_unsupported'],
      ['fail/policy_key_unsupported: RSA-PSS', 'rsa-pss-2048', 'policy_key_unsupported'],
      ['fail/csr_signature_algorithm_unsupported: SHA-1', 'rsa-2048-sha1', 'csr_signature_algorithm_unsupported'],
    ])('%s', async (_name, fixture, code) => {
      const m = await mint('node1');
      await expectRefused(m.jwt, m.claims.jti, Promise.resolve(csrFixture(fixture)), code);
    });

    it('fail/csr_signature_invalid: a flipped signature bit', async () => {
      const m = await mint();
      const csr = await csrFor('collaborator1');
      const e = await expectRefused(m.jwt, m.claims.jti, Promise.resolve(flipBit(csr, csr.length - 4)), 'csr_signature_invalid');
      expect(e.message).toMatch(/does not prove possession of the key/);
    });

    it('fail/csr_signature_invalid: the step CLI request with its subject changed', async () => {
      const m = await mint();
      const csr = csrFixture('step/step-cli-p384.csr').slice();
      const at = Buffer.from(csr).indexOf('collaborator1');
      csr[at] = 'C'.charCodeAt(0);
      await expectRefused(m.jwt, m.claims.jti, Promise.resolve(csr), 'csr_signature_invalid');
    });
  });

  describe('the token signature and claims (no audit: it is not authentic or not ours)', () => {
    it('fail/token_malformed', async () => {
      await expectRefused('not-a-token', undefined, csrFor('collaborator1'), 'token_malformed');
    });

    it('fail/token_algorithm_refused: alg none', async () => {
      const m = await mint();
      const [, c] = m.jwt.split('.');
      const none = `${toBase64Url(utf8(JSON.stringify({ alg: 'none', kid: ctx.provisioner.kid })))}.${c}.`;
      await expectRefused(none, m.claims.jti, csrFor('collaborator1'), 'token_algorithm_refused');
    });

    it('fail/token_signature_invalid: tampered claims (another subject)', async () => {
      const m = await mint();
      const [h, , s] = m.jwt.split('.');
      const c = toBase64Url(utf8(JSON.stringify({ ...m.claims, sub: 'aggregator', sans: ['aggregator'] })));
      await expectRefused(`${h}.${c}.${s}`, m.claims.jti, csrFor('aggregator'), 'token_signature_invalid');
    });

    it('fail/token_expired: 61 s past exp', async () => {
      const m = await mint('collaborator1', { ttlSeconds: 300 });
      clock = new Date(NOW.getTime() + 361_000);
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'token_expired');
    });

    it('fail/token_not_yet_valid', async () => {
      const { jwt, claims } = await forge({ claims: { nbf: NOW_S + 120 } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_not_yet_valid');
    });

    it('fail/token_audience_invalid', async () => {
      const { jwt, claims } = await forge({ claims: { aud: 'https://ca.other.test:9123/1.0/sign' } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_audience_invalid');
    });

    it('fail/token_audience_invalid: a revoke token cannot sign', async () => {
      const { jwt, claims } = await forge({ claims: { aud: audienceFor(ctx.federation.caUrl, '/1.0/revoke') } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_audience_invalid');
    });

    it('fail/token_key_unknown', async () => {
      const { jwt, claims } = await forge({ header: { kid: 'unknown-kid' } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_key_unknown');
    });
  });

  describe('the token state and the names (audited as TOKEN_REFUSED)', () => {
    it('fail/token_unknown: signed by the provisioner but never recorded', async () => {
      const { jwt } = await forge({ record: false });
      await expectRefused(jwt, undefined, csrFor('collaborator1'), 'token_unknown', { audited: true });
    });

    it('fail/token_unknown: recorded as a revoke token', async () => {
      const { jwt, claims } = await forge({ record: { kind: 'revoke' } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_unknown', { audited: true });
    });

    it('fail/token_unknown: recorded for another federation', async () => {
      const { jwt, claims } = await forge({ record: { federationId: 'other' } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_unknown', { audited: true });
    });

    it('fail/token_claims_invalid: the record names another subject', async () => {
      const { jwt, claims } = await forge({ record: { subject: 'aggregator' } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_claims_invalid', { audited: true });
    });

    it('fail/token_used: the second use', async () => {
      const m = await mint();
      await ca.signWithToken({ csr: await csrFor('collaborator1'), ott: m.jwt });
      const e = await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'token_used', { audited: true });
      expect(e.message).toBe('The token has already been used: ask your administrator for a new one.');
    });

    it('fail/token_cancelled', async () => {
      const m = await mint();
      await ca.cancelToken(m.claims.jti, ALICE);
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'token_cancelled', { audited: true });
      expect(store.tokens.get(m.claims.jti)!.state).toBe('cancelled');
    });

    it('fail/token_expired at the store: the record expired although the JWT has not', async () => {
      const { jwt, claims } = await forge({ record: { expiresAt: new Date(NOW.getTime() - 61_000) } });
      await expectRefused(jwt, claims.jti, csrFor('collaborator1'), 'token_expired', { audited: true });
    });

    it('fail/csr_name_mismatch: CN of another node', async () => {
      const m = await mint();
      const e = await expectRefused(m.jwt, m.claims.jti, csrFor('aggregator', ['collaborator1']), 'csr_name_mismatch', { audited: true });
      expect(e.message).toMatch(/"aggregator" is not the token's subject "collaborator1"/);
    });

    it('fail/csr_name_mismatch: the step CLI request against a token for collaborator2', async () => {
      const m = await mint('collaborator2');
      await expectRefused(m.jwt, m.claims.jti, Promise.resolve(csrFixture('step/step-cli-p384.csr')), 'csr_name_mismatch', { audited: true, target: 'collaborator2' });
    });

    it('fail/csr_san_mismatch: an extra DNS name', async () => {
      const m = await mint();
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1', ['collaborator1', 'aggregator']), 'csr_san_mismatch', { audited: true });
    });

    it('fail/csr_san_mismatch: an IP the token does not name', async () => {
      const m = await mint('collaborator1', { sans: ['collaborator1', '10.0.0.7'] });
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1', ['10.0.0.8']), 'csr_san_mismatch', { audited: true });
    });

    it('fail/policy_validity: notAfter beyond the token certificate lifetime', async () => {
      const m = await mint('collaborator1', { certSeconds: 86400 });
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'policy_validity', { audited: true, notAfter: { kind: 'relative', seconds: 2 * 86400 } });
    });

    it('fail/bad_request: notAfter in the past', async () => {
      const m = await mint();
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'bad_request', { audited: true, notAfter: { kind: 'absolute', at: new Date(NOW.getTime() - 1000) } });
    });

    it('fail/federation_disabled at the store (disabled by another process since the keyring looked)', async () => {
      const m = await mint();
      store.federations.get('unit')!.status = 'disabled';
      try {
        await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'federation_disabled', { audited: true });
      } finally {
        store.federations.get('unit')!.status = 'active';
      }
    });
  });

  it('fail/federation_disabled through the authority (no audit: refused with the token checks)', async () => {
    const m = await mint();
    await ca.updateFederation('unit', { status: 'disabled' }, ALICE);
    try {
      await expectRefused(m.jwt, m.claims.jti, csrFor('collaborator1'), 'federation_disabled');
    } finally {
      await ca.updateFederation('unit', { status: 'active' }, ALICE);
    }
  });
});

describe('single use under concurrency', () => {
  it('ok/of 20 concurrent requests with one token exactly one gets a certificate', async () => {
    const m = await mint();
    const csrs = await Promise.all(Array.from({ length: 20 }, () => csrFor('collaborator1')));
    const certsBefore = store.certificates.size;
    const results = await Promise.allSettled(csrs.map((csr) => ca.signWithToken({ csr, ott: m.jwt })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(Array(19).fill('token_used'));
    expect(store.certificates.size).toBe(certsBefore + 1);
    const issued = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof ca.signWithToken>>>).value;
    expect(store.tokens.get(m.claims.jti)).toMatchObject({ state: 'used', certSerial: issued.record.serial });
  });
});

describe('checkCsr', () => {
  it('ok/returns the parsed request; accepts one already parsed', async () => {
    const der = await csrFor('collaborator1');
    const parsed = await checkCsr(der);
    expect(parsed.subject.commonName).toBe('collaborator1');
    expect(await checkCsr(parsed)).toBe(parsed);
  });

  it('ok/the malformed-CSR error keeps the parser error as its cause, out of the message', async () => {
    const e = await checkCsr(Uint8Array.of(0x30, 0x80)).catch((x: Error) => x);
    expect(e).toMatchObject({ code: 'csr_malformed', message: 'The request could not be completed: invalid csr (it is not a well-formed PKCS#10 request).' });
    expect((e as Error).cause).toBeInstanceOf(Error);
  });
});

describe('the store after all of the above', () => {
  it('ok/serial numbers are distinct across issuances', () => {
    const serials = [...store.certificates.keys()];
    expect(new Set(serials).size).toBe(serials.length);
    for (const s of serials) expect(toHex(Buffer.from(s, 'hex'))).toBe(s);
  });
});
