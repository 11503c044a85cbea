/**
 * What a signing thread rebuilds from the snapshots the main thread posts it: the same
 * federations, an intermediate key that signs, and the token binding key, so that tokens
 * this CA minted skip their ES256 verify on the thread too.
 */

import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MemoryCaStore } from '@/test/helpers/memory-store';
import { NOW, TEST_ITERATIONS, TEST_PASSWORD } from '@/test/helpers/unit';
import { CertificateAuthority } from '../lib/ca/authority';
import { isBoundToken } from '../lib/ca/token-binding';
import { nodeCrypto } from '../lib/crypto/node-crypto';
import { federationSnapshots, keyringFrom, type FederationSnapshot } from './signing-snapshot';

/** Posts `value` through a real MessageChannel, as the pool posts to its threads. */
function acrossThreads<T>(value: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.once('message', (v: T) => {
      port1.close();
      resolve(v);
    });
    port1.postMessage(value);
  });
}

describe('signing thread snapshots', () => {
  it('ok/the thread gets each federation with its binding key: a minted token matches there, another does not', async () => {
    const crypto = nodeCrypto();
    const ca = new CertificateAuthority({ store: new MemoryCaStore(), password: TEST_PASSWORD, iterations: TEST_ITERATIONS, now: () => NOW, crypto });
    await ca.createFederation({ id: 'unit', name: 'Unit', caUrl: 'ca.unit.test:9123' }, { id: 'user:alice', sourceIp: null });
    const m = await ca.mintToken('unit', { subject: 'collaborator1' }, { id: 'user:alice', sourceIp: null });
    const n = await ca.mintToken('unit', { subject: 'collaborator2' }, { id: 'user:alice', sourceIp: null });

    const received = await acrossThreads<FederationSnapshot[]>(federationSnapshots(ca));
    const ring = await keyringFrom(received, [], crypto);
    const ctx = ring.byKid(ca.federation('unit').provisioner.kid)!;
    expect(ctx.federation.id).toBe('unit');
    expect(ctx.tokenBinding?.usages).toEqual(['verify']);
    expect(await isBoundToken(ctx.tokenBinding!, m.jwt, m.record.binding!, crypto)).toBe(true);
    expect(await isBoundToken(ctx.tokenBinding!, n.jwt, m.record.binding!, crypto)).toBe(false);
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ctx.intermediate.key, new Uint8Array([1, 2, 3]));
    expect(sig.byteLength).toBe(64);
  });
});
