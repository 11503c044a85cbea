/**
 * What crosses to a signing thread about each unlocked federation, and how the thread
 * turns it back into a keyring: names, certificates, the provisioner's public key, and
 * the intermediate's and the token binding's KeyObjects (shared with the thread, not
 * copied out of it).
 */

import type { KeyObject } from 'node:crypto';
import type { CertificateAuthority } from '../lib/ca/authority';
import { Keyring, federationContext } from '../lib/ca/keyring';
import type { CaKeyRecord, FederationRecord } from '../lib/ca/types';
import { hmacKeyFrom, keyObjectOf, signingKeyFrom } from '../lib/crypto/node-crypto';

export interface FederationSnapshot {
  federation: FederationRecord;
  root: Uint8Array;
  intermediate: Uint8Array;
  provisionerJwk: string;
  intermediateKey: KeyObject;
  tokenBinding: KeyObject | null;
}

/** On the main thread: what a signing thread needs of each unlocked federation. */
export function federationSnapshots(authority: CertificateAuthority): FederationSnapshot[] {
  return authority.keyring.list().map((ctx) => ({
    federation: ctx.federation,
    root: ctx.root.der,
    intermediate: ctx.intermediate.der,
    provisionerJwk: JSON.stringify(ctx.provisioner.jwk),
    intermediateKey: keyObjectOf(ctx.intermediate.key),
    tokenBinding: ctx.tokenBinding ? keyObjectOf(ctx.tokenBinding) : null,
  }));
}

function keysOf(s: FederationSnapshot): CaKeyRecord[] {
  const base = { federationId: s.federation.id, encryptedKey: '', active: true, createdAt: s.federation.createdAt, keySpec: s.federation.keySpec, notAfter: null };
  return [
    { ...base, id: 'root', purpose: 'root', certificate: s.root, publicJwk: null, fingerprint: s.federation.rootFingerprint },
    { ...base, id: 'intermediate', purpose: 'intermediate', certificate: s.intermediate, publicJwk: null, fingerprint: null },
    { ...base, id: 'provisioner', purpose: 'provisioner', keySpec: 'EC-P256', certificate: null, publicJwk: s.provisionerJwk, fingerprint: null },
  ];
}

/** In a signing thread: the keyring those snapshots describe. */
export async function keyringFrom(snapshots: FederationSnapshot[], aliases: readonly string[], crypto: Crypto): Promise<Keyring> {
  const keyring = new Keyring();
  for (const s of snapshots) {
    keyring.set(await federationContext({ federation: s.federation, keys: keysOf(s), intermediateKey: signingKeyFrom(s.intermediateKey), tokenBinding: s.tokenBinding ? hmacKeyFrom(s.tokenBinding) : undefined, aliases }, crypto));
  }
  return keyring;
}
