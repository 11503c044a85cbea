/**
 * Token binding: a minted token is recognised by the MAC stored with its record, so its
 * ES256 signature is not verified again; anything that does not match exactly falls
 * back to the signature check. These tests count the provisioner-key verifications
 * the pipeline makes, and try to get a token past the shortcut that the signature
 * check would refuse.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr } from '../pki/csr';
import { toBase64Url, utf8 } from '../pki/encoding';
import { generateKeyPair } from '../pki/keys';
import { MemoryCaStore } from '@/test/helpers/memory-store';
import { NOW, TEST_ITERATIONS, TEST_PASSWORD } from '@/test/helpers/unit';
import { CertificateAuthority } from './authority';
import { prepareTokenIssuance } from './issue';
import type { FederationContext } from './keyring';
import { bindToken, deriveTokenBindingKey, isBoundToken } from './token-binding';
import { wrapToken } from './token';

const ALICE = { id: 'user:alice', sourceIp: '192.0.2.1' };
let store: MemoryCaStore;
let ca: CertificateAuthority;
let ctx: FederationContext;
let other: FederationContext;

beforeAll(async () => {
  store = new MemoryCaStore();
  ca = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => NOW });
  ctx = await ca.createFederation({ id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123' }, ALICE);
  other = await ca.createFederation({ id: 'other', name: 'Other', caUrl: 'ca.other.test:9123' }, ALICE);
});

/** WebCrypto that counts ES256 verifications made with `key`. */
function counting(key: () => CryptoKey) {
  const counter = { verifies: 0 };
  const subtle = new Proxy(globalThis.crypto.subtle, {
    get(target, prop) {
      if (prop === 'verify') {
        return (alg: AlgorithmIdentifier, k: CryptoKey, sig: BufferSource, data: BufferSource) => {
          if (k === key()) counter.verifies++;
          return target.verify(alg, k, sig, data);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const crypto = { subtle, getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a) } as unknown as Crypto;
  return { crypto, counter };
}

async function prepare(token: string, c: FederationContext = ctx, contexts: FederationContext[] = [ctx, other]) {
  const { crypto, counter } = counting(() => c.provisioner.publicKey);
  const csr = await createCsr({ keys: await generateKeyPair('EC-P256'), commonName: 'collaborator1', sans: ['collaborator1'] });
  const run = prepareTokenIssuance(
    { csr, ott: token },
    { store, lookup: (kid) => contexts.find((x) => x.provisioner.kid === kid), now: () => NOW, crypto },
  );
  return { run, counter };
}

/** The token with its claims changed and its original signature kept. */
function tampered(jwt: string, change: Record<string, unknown>): string {
  const [h, c, s] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
  return [h, toBase64Url(utf8(JSON.stringify({ ...claims, ...change }))), s].join('.');
}

describe('token binding', () => {
  it('ok/a minted token passes on its binding: no ES256 verification of it', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    expect(m.record.binding).toHaveLength(32);
    const { run, counter } = await prepare(m.token);
    const prepared = await run;
    expect(prepared.jti).toBe(m.claims.jti);
    expect(prepared.record.commonName).toBe('collaborator1');
    expect(counter.verifies).toBe(0);
  });

  it('ok/the bare JWT (what step sends) matches the binding too', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const { run, counter } = await prepare(m.jwt);
    await run;
    expect(counter.verifies).toBe(0);
  });

  it('ok/the key survives a restart: another authority over the same store derives the same one', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const again = new CertificateAuthority({ store, password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => NOW });
    const [ctx2, other2] = [await again.unlock(ctx.federation), await again.unlock(other.federation)];
    expect(await isBoundToken(ctx2.tokenBinding!, m.jwt, m.record.binding!)).toBe(true);
    const { run, counter } = await prepare(m.token, ctx2, [ctx2, other2]);
    await run;
    expect(counter.verifies).toBe(0);
  });

  it('ok/each federation has its own key; the derivation depends on key and federation', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    expect(await isBoundToken(other.tokenBinding!, m.jwt, m.record.binding!)).toBe(false);
    const pkcs8 = new Uint8Array(138).fill(7);
    const a = await bindToken(await deriveTokenBindingKey(pkcs8, 'unit'), m.jwt);
    expect(await bindToken(await deriveTokenBindingKey(pkcs8, 'unit'), m.jwt)).toEqual(a);
    expect(await bindToken(await deriveTokenBindingKey(pkcs8, 'other'), m.jwt)).not.toEqual(a);
    expect(await bindToken(await deriveTokenBindingKey(pkcs8.map((b, i) => (i === 0 ? 8 : b)), 'unit'), m.jwt)).not.toEqual(a);
  });

  it('ok/a record without a binding (minted before bindings) is checked by the signature', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    store.tokens.set(m.claims.jti, { ...m.record, binding: null });
    const { run, counter } = await prepare(m.token);
    await run;
    expect(counter.verifies).toBe(1);
  });

  it('ok/a binding that does not match sends a validly signed token to the signature check, which passes it', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const n = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    store.tokens.set(m.claims.jti, { ...m.record, binding: n.record.binding });
    const { run, counter } = await prepare(m.token);
    await run;
    expect(counter.verifies).toBe(1);
  });

  it('fail/token_signature_invalid: claims altered under a bound jti (the binding no longer matches, nor does the signature)', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const forged = wrapToken(tampered(m.jwt, { sans: ['collaborator1', 'aggregator.example'] }), ctx.root.pem);
    const { run, counter } = await prepare(forged);
    await expect(run).rejects.toMatchObject({ code: 'token_signature_invalid' });
    expect(counter.verifies).toBe(1);
    expect(store.tokens.get(m.claims.jti)?.state).toBe('pending');
  });

  it('fail/token_signature_invalid: a binding planted in the database without the CA key admits nothing', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const [h, c] = m.jwt.split('.') as [string, string];
    const forged = `${h}.${c}.${toBase64Url(new Uint8Array(64).fill(1))}`;
    const planted = await bindToken(await deriveTokenBindingKey(new Uint8Array(138).fill(9), 'unit'), forged);
    store.tokens.set(m.claims.jti, { ...m.record, binding: planted });
    await expect((await prepare(forged)).run).rejects.toMatchObject({ code: 'token_signature_invalid' });
  });

  it('fail/one token\'s binding does not admit another token', async () => {
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    const n = await ca.mintToken('unit', { subject: 'collaborator1' }, ALICE);
    expect(await isBoundToken(ctx.tokenBinding!, n.jwt, m.record.binding!)).toBe(false);
    expect(await isBoundToken(ctx.tokenBinding!, m.jwt, m.record.binding!.subarray(0, 31))).toBe(false);
    expect(await isBoundToken(ctx.tokenBinding!, `${m.jwt} `, m.record.binding!)).toBe(false);
  });
});
