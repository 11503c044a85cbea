import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../pki/csr';
import { certificatesFromPem, describeCertificate, readCertificate } from '../pki/certificate';
import { generateKeyPair, importPkcs8 } from '../pki/keys';
import { fromPem } from '../pki/pem';
import { MemoryCaStore } from '@/test/helpers/memory-store';
import { NOW, TEST_ITERATIONS, TEST_PASSWORD, crossCheckCertificate, csrFixture } from '@/test/helpers/unit';
import { ActivityType } from './audit';
import { CertificateAuthority } from './authority';

const ALICE = { id: 'user:alice', sourceIp: '192.0.2.1' };
const FED = { id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123' };

function authority(store: MemoryCaStore, password = TEST_PASSWORD, now = () => NOW) {
  return new CertificateAuthority({ store, password, iterations: TEST_ITERATIONS, now });
}

const snapshot = (s: MemoryCaStore) => structuredClone({ f: [...s.federations], k: [...s.keys], t: [...s.tokens], c: [...s.certificates], a: s.audit });

describe('unlocking', () => {
  let store: MemoryCaStore;
  beforeAll(async () => {
    store = new MemoryCaStore();
    const ca = authority(store);
    await ca.createFederation(FED, ALICE);
    await ca.createFederation({ id: 'second', name: 'Second', caUrl: 'ca.second.test:9123' }, ALICE);
  });

  it('ok/unlockAll opens every federation with the right password', async () => {
    const ca = authority(store);
    const list = await ca.unlockAll();
    expect(list.map((c) => c.federation.id)).toEqual(['unit', 'second']);
    expect(ca.federation('second').intermediate.key.type).toBe('private');
  });

  it('fail/a wrong password is a clear error and changes nothing', async () => {
    const before = snapshot(store);
    const ca = authority(store, 'not the password');
    await expect(ca.unlockAll()).rejects.toMatchObject({ code: 'wrong_password', status: 400, message: 'The CA password is wrong: it does not open the federation keys.' });
    expect(ca.keyring.list()).toEqual([]);
    expect(snapshot(store)).toEqual(before);
    await expect(ca.mintToken('unit', { subject: 'n' }, ALICE)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('ok/an empty store unlocks nothing', async () => {
    expect(await authority(new MemoryCaStore()).unlockAll()).toEqual([]);
  });
});

describe('federations', () => {
  it('ok/createFederation stores the federation, its three keys and one audit entry, and unlocks it', async () => {
    const store = new MemoryCaStore();
    const ca = authority(store);
    const ctx = await ca.createFederation({ ...FED, keySpec: 'EC-P384' }, ALICE);
    expect(store.federations.get('unit')).toEqual(ctx.federation);
    expect(store.keys.get('unit')!.map((k) => k.purpose)).toEqual(['root', 'intermediate', 'provisioner']);
    expect(store.audit).toEqual([
      {
        at: NOW,
        action: ActivityType.FEDERATION_CREATED,
        actor: 'user:alice',
        sourceIp: '192.0.2.1',
        federationId: 'unit',
        target: 'Unit',
        outcome: 'success',
        details: { caUrl: 'ca.unit.test:9123', keySpec: 'EC-P384', rootFingerprint: ctx.federation.rootFingerprint },
      },
    ]);
    expect(JSON.stringify(store.audit)).not.toMatch(/PRIVATE KEY|unit-test password/);
    expect(ca.federation('unit')).toBe(ctx);
    expect(ctx.hostnames).toEqual(new Set(['ca.unit.test']));
  });

  it('fail/a second federation with the same id, name or CA URL is a conflict and stores nothing', async () => {
    const store = new MemoryCaStore();
    const ca = authority(store);
    await ca.createFederation(FED, ALICE);
    const before = snapshot(store);
    for (const dup of [{ ...FED, name: 'Other', caUrl: 'x.test:1' }, { ...FED, id: 'other', caUrl: 'x.test:1' }, { ...FED, id: 'other', name: 'Other' }]) {
      await expect(ca.createFederation(dup, ALICE)).rejects.toMatchObject({ code: 'conflict' });
    }
    expect(snapshot(store)).toEqual(before);
    expect(ca.keyring.list().map((c) => c.federation.id)).toEqual(['unit']);
  });

  it('ok/updateFederation records DISABLED, ENABLED or UPDATED and refreshes the keyring', async () => {
    const store = new MemoryCaStore();
    const ca = authority(store);
    await ca.createFederation(FED, ALICE);
    await ca.updateFederation('unit', { status: 'disabled' }, ALICE);
    expect(ca.federation('unit').federation.status).toBe('disabled');
    await ca.updateFederation('unit', { status: 'active' }, ALICE);
    await ca.updateFederation('unit', { publicUrl: 'https://pki.example.org' }, ALICE);
    await ca.updateFederation('unit', { status: 'active', defaultCertSeconds: 86400 }, ALICE);
    expect(store.audit.slice(1).map((a) => [a.action, a.details])).toEqual([
      [ActivityType.FEDERATION_DISABLED, { status: 'disabled' }],
      [ActivityType.FEDERATION_ENABLED, { status: 'active' }],
      [ActivityType.FEDERATION_UPDATED, { publicUrl: 'https://pki.example.org' }],
      [ActivityType.FEDERATION_UPDATED, { status: 'active', defaultCertSeconds: 86400 }],
    ]);
    expect(store.federations.get('unit')).toMatchObject({ status: 'active', publicUrl: 'https://pki.example.org', defaultCertSeconds: 86400 });
    expect(ca.federation('unit').leaf.revocation).toHaveLength(2);
    await expect(ca.updateFederation('nope', { status: 'disabled' }, ALICE)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('ok/refresh picks up federations created and changed by another process', async () => {
    const store = new MemoryCaStore();
    const server = authority(store);
    const cli = authority(store);
    await cli.createFederation(FED, ALICE);
    expect(await server.refresh()).toEqual({ added: ['unit'], changed: [] });
    expect(await server.refresh()).toEqual({ added: [], changed: [] });
    await cli.updateFederation('unit', { status: 'disabled' }, ALICE);
    expect(await server.refresh()).toEqual({ added: [], changed: ['unit'] });
    expect(server.federation('unit').federation.status).toBe('disabled');
    expect(server.keyring.byKid(cli.federation('unit').provisioner.kid)?.federation.status).toBe('disabled');
  });
});

describe('tokens', () => {
  it('ok/cancelToken: pending → cancelled once, with its audit entry; then a conflict', async () => {
    const store = new MemoryCaStore();
    const ca = authority(store);
    await ca.createFederation(FED, ALICE);
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const bob = { id: 'user:bob' };
    const cancelled = await ca.cancelToken(m.claims.jti, bob);
    expect(cancelled).toMatchObject({ state: 'cancelled', cancelledAt: NOW, cancelledBy: 'user:bob' });
    expect(store.audit.at(-1)).toEqual({
      at: NOW,
      action: ActivityType.TOKEN_CANCELLED,
      actor: 'user:bob',
      sourceIp: null,
      federationId: 'unit',
      target: m.claims.jti.slice(0, 12),
      outcome: 'success',
      details: { subject: 'collaborator1' },
    });
    const audits = store.audit.length;
    await expect(ca.cancelToken(m.claims.jti, bob)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already cancelled') });
    await expect(ca.cancelToken('f'.repeat(64), bob)).rejects.toMatchObject({ code: 'not_found' });
    expect(store.audit.length).toBe(audits);
  });
});

describe('signCsr (the manual workflow: names from the CSR)', () => {
  let store: MemoryCaStore;
  let ca: CertificateAuthority;
  beforeAll(async () => {
    store = new MemoryCaStore();
    ca = authority(store);
    await ca.createFederation({ ...FED, defaultCertSeconds: 30 * 86400 }, ALICE);
  });

  it('ok/an OpenSSL request: CN and SANs from it, the federation lifetime, CSR_SIGNED', async () => {
    const out = await ca.signCsr({ federationId: 'unit', csr: csrFixture('p-384') }, ALICE);
    expect(out.record).toMatchObject({ commonName: 'node1', sans: ['node1'], role: 'collaborator', source: 'csr', tokenJti: null, issuedBy: 'user:alice', keyDescription: 'EC P-384' });
    expect(out.record.notAfter).toEqual(new Date(NOW.getTime() + 30 * 86400_000));
    await crossCheckCertificate(fromPem(out.certificate)!, ca.federation('unit').intermediate.der);
    expect(store.certificates.has(out.record.serial)).toBe(true);
    expect(store.audit.at(-1)).toMatchObject({ action: ActivityType.CSR_SIGNED, target: out.record.serial, details: { subject: 'node1', sans: ['node1'], key: 'EC P-384' } });
  });

  it('ok/a request without SANs gets DNS:<CN>; role and lifetime as asked', async () => {
    const csr = await createCsr({ keys: await generateKeyPair('EC-P256'), commonName: 'aggregator.fed.example' });
    const out = await ca.signCsr({ federationId: 'unit', csr, role: 'aggregator', certSeconds: 86400 }, ALICE);
    expect(out.record).toMatchObject({ commonName: 'aggregator.fed.example', sans: ['aggregator.fed.example'], role: 'aggregator' });
    expect(out.record.notAfter).toEqual(new Date(NOW.getTime() + 86400_000));
  });

  it('ok/IP SANs from the request', async () => {
    const csr = await createCsr({ keys: await generateKeyPair('EC-P256'), commonName: 'node2', sans: ['node2', '10.0.0.2'] });
    const out = await ca.signCsr({ federationId: 'unit', csr }, ALICE);
    expect((await describeCertificate(fromPem(out.certificate)!)).sans).toEqual(['DNS:node2', 'IP:10.0.0.2']);
  });

  it.each<[string, () => Promise<Uint8Array>, string]>([
    ['fail/no common name', async () => createCsr({ keys: await generateKeyPair('EC-P256'), commonName: '', sans: ['x'] }), 'csr_name_mismatch'],
    ['fail/a common name that is not a node name', async () => createCsr({ keys: await generateKeyPair('EC-P256'), commonName: 'node 1' }), 'policy_name_invalid'],
    ['fail/RSA 1024', async () => csrFixture('rsa-1024'), 'policy_key_weak'],
    ['fail/Ed25519', async () => csrFixture('ed25519'), 'policy_key_unsupported'],
    ['fail/not a request', async () => new Uint8Array(10), 'csr_malformed'],
  ])('%s', async (_name, csr, code) => {
    const before = snapshot(store);
    await expect(ca.signCsr({ federationId: 'unit', csr: await csr() }, ALICE)).rejects.toMatchObject({ code });
    expect(snapshot(store)).toEqual(before);
  });

  it('fail/a disabled federation, an unknown federation', async () => {
    await ca.updateFederation('unit', { status: 'disabled' }, ALICE);
    const before = snapshot(store);
    try {
      await expect(ca.signCsr({ federationId: 'unit', csr: csrFixture('p-256') }, ALICE)).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      await ca.updateFederation('unit', { status: 'active' }, ALICE);
    }
    expect(before.c).toEqual(snapshot(store).c);
    await expect(ca.signCsr({ federationId: 'nope', csr: csrFixture('p-256') }, ALICE)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('issueTlsCredentials (FedPKI own listener)', () => {
  it('ok/a 24-hour serverAuth certificate for the host names, chained to the federation, with its key', async () => {
    const store = new MemoryCaStore();
    const ca = authority(store);
    const ctx = await ca.createFederation(FED, ALICE);
    const tls = await ca.issueTlsCredentials('unit', ['ca.unit.test', 'localhost', '127.0.0.1']);
    const [leaf, intermediate, ...rest] = certificatesFromPem(tls.certificateChain);
    expect(rest).toEqual([]);
    expect(intermediate).toEqual(ctx.intermediate.der);
    await crossCheckCertificate(leaf!, ctx.intermediate.der);
    const info = await describeCertificate(leaf!);
    expect(info).toMatchObject({
      subject: 'CN=Unit FedPKI',
      sans: ['DNS:ca.unit.test', 'DNS:localhost', 'IP:127.0.0.1'],
      extendedKeyUsage: ['serverAuth'],
      keyUsage: ['digitalSignature'],
      basicConstraints: { ca: false },
    });
    expect(info.notBefore).toEqual(new Date(NOW.getTime() - 60_000));
    expect(tls.notAfter).toEqual(new Date(NOW.getTime() + 86400_000));
    expect(info.notAfter).toEqual(tls.notAfter);
    const key = await importPkcs8(fromPem(tls.privateKey, 'PRIVATE KEY')!);
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Uint8Array.of(1));
    const pub = await crypto.subtle.importKey('spki', readCertificate(leaf!).publicKey.der as BufferSource, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, Uint8Array.of(1))).toBe(true);
    expect(store.certificates.size).toBe(0);
  });

  it('ok/never past the intermediate', async () => {
    const store = new MemoryCaStore();
    let now = NOW;
    const ca = authority(store, TEST_PASSWORD, () => now);
    const ctx = await ca.createFederation(FED, ALICE);
    now = new Date(ctx.intermediate.fields.notAfter.getTime() - 3600_000);
    const tls = await ca.issueTlsCredentials('unit', ['ca.unit.test']);
    expect(tls.notAfter).toEqual(ctx.intermediate.fields.notAfter);
  });
});
