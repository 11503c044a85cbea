import { beforeAll, describe, expect, it } from 'vitest';
import { fromPem, toPem } from '../pki/pem';
import { decryptPrivateKey, encryptPrivateKey } from '../pki/pkcs8';
import { TEST_ITERATIONS, TEST_PASSWORD, makeFederation, type TestFederation } from '@/test/helpers/unit';
import { Keyring, unlockFederation } from './keyring';

let fed: TestFederation;
let second: TestFederation;

beforeAll(async () => {
  [fed, second] = await Promise.all([makeFederation({ caUrl: 'CA.Unit.Test:9123' }), makeFederation({ id: 'second', name: 'Second', caUrl: '[2001:db8::1]:443' })]);
});

describe('unlockFederation', () => {
  it('ok/prepares the intermediate key, the leaf template and the audience host names', async () => {
    const ctx = await unlockFederation({ federation: fed.federation, keys: fed.keys, password: TEST_PASSWORD, aliases: ['LB.example.org'] });
    expect(ctx.hostnames).toEqual(new Set(['ca.unit.test', 'lb.example.org']));
    expect(ctx.intermediate.key).toMatchObject({ type: 'private', extractable: false });
    expect(ctx.intermediate.fields.subject.text).toBe('O=Unit, CN=Unit Intermediate CA');
    expect(ctx.root.fingerprint).toBe(fed.federation.rootFingerprint);
    expect(ctx.root.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(ctx.leaf.issuerNotAfter).toEqual(ctx.intermediate.fields.notAfter);
    expect(ctx.provisioner).toMatchObject({ kid: fed.federation.provisionerKid, name: 'fedpki:unit' });
    expect(second.ctx.hostnames).toEqual(new Set(['2001:db8::1']));
  });

  it('fail/a wrong password: wrong_password', async () => {
    await expect(unlockFederation({ federation: fed.federation, keys: fed.keys, password: 'nope' })).rejects.toMatchObject({ code: 'wrong_password' });
  });

  it('fail/the provisioner key is decrypted on first use: a key under another password fails only then', async () => {
    const prov = fed.keys.find((k) => k.purpose === 'provisioner')!;
    const pkcs8 = await decryptPrivateKey(fromPem(prov.encryptedKey, 'ENCRYPTED PRIVATE KEY')!, TEST_PASSWORD);
    const other = toPem(await encryptPrivateKey(pkcs8, 'another password', { iterations: TEST_ITERATIONS }), 'ENCRYPTED PRIVATE KEY');
    const ctx = await unlockFederation({ federation: fed.federation, keys: fed.keys.map((k) => (k === prov ? { ...k, encryptedKey: other } : k)), password: TEST_PASSWORD });
    await expect(ctx.provisioner.privateKey()).rejects.toMatchObject({ code: 'wrong_password' });
    await expect(fed.ctx.provisioner.privateKey()).resolves.toMatchObject({ type: 'private' });
  });

  it('fail/missing keys', async () => {
    await expect(unlockFederation({ federation: fed.federation, keys: fed.keys.filter((k) => k.purpose !== 'intermediate'), password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'internal' });
    await expect(unlockFederation({ federation: fed.federation, keys: fed.keys.map((k) => ({ ...k, active: k.purpose !== 'root' })), password: TEST_PASSWORD })).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('Keyring', () => {
  it('ok/by id, by kid, by root fingerprint; require throws not_found', () => {
    const ring = new Keyring();
    ring.set(fed.ctx);
    ring.set(second.ctx);
    expect(ring.get('unit')).toBe(fed.ctx);
    expect(ring.require('second')).toBe(second.ctx);
    expect(ring.byKid(second.ctx.provisioner.kid)).toBe(second.ctx);
    expect(ring.byRootFingerprint(fed.federation.rootFingerprint)).toBe(fed.ctx);
    expect(ring.byRootFingerprint('0'.repeat(64))).toBeUndefined();
    expect(ring.list()).toHaveLength(2);
    expect(() => ring.require('nope')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('ok/first: the federation `default` wherever it was added, else the first added; none when empty', () => {
    const ring = new Keyring();
    expect(ring.first()).toBeUndefined();
    ring.set(fed.ctx);
    ring.set(second.ctx);
    expect(ring.first()).toBe(fed.ctx);
    const named = { ...second.ctx, federation: { ...second.ctx.federation, id: 'default' } };
    ring.set(named);
    expect(ring.first()).toBe(named);
  });

  it('ok/updateRecord swaps the record and rebuilds the leaf template; a new kid replaces the old one', () => {
    const ring = new Keyring();
    ring.set(fed.ctx);
    ring.updateRecord({ ...fed.federation, status: 'disabled', publicUrl: 'https://pki.example.org' });
    expect(ring.get('unit')!.federation.status).toBe('disabled');
    expect(ring.get('unit')!.leaf.revocation).toHaveLength(2);
    expect(ring.byKid(fed.ctx.provisioner.kid)!.federation.status).toBe('disabled');
    ring.updateRecord({ ...second.federation });
    expect(ring.get('second')).toBeUndefined();
    ring.set({ ...fed.ctx, provisioner: { ...fed.ctx.provisioner, kid: 'rotated' } });
    expect(ring.byKid(fed.ctx.provisioner.kid)).toBeUndefined();
    expect(ring.byKid('rotated')?.federation.id).toBe('unit');
  });
});
