/**
 * A signing thread (see signing-pool.ts): holds the federations' signing keys, reads
 * tokens through its own SQLite connection, and prepares certificates. It never writes.
 */

import type { KeyObject } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { isCaError } from '../lib/ca/errors';
import { prepareTokenIssuance, refusalAuditOf, type PreparedIssuance, type SignWithTokenParams } from '../lib/ca/issue';
import { Keyring, federationContext } from '../lib/ca/keyring';
import type { CaKeyRecord, FederationRecord } from '../lib/ca/types';
import type { AuditEntry } from '../lib/ca/audit';
import type { CaErrorCode } from '../lib/ca/errors';
import { nodeCrypto, signingKeyFrom } from '../lib/crypto/node-crypto';
import { openStore, type StoreConfig } from '../db/open';

export interface FederationSnapshot {
  federation: FederationRecord;
  root: Uint8Array;
  intermediate: Uint8Array;
  provisionerJwk: string;
  intermediateKey: KeyObject;
}

export type WorkerRequest = { kind: 'federations'; federations: FederationSnapshot[] } | { kind: 'sign'; id: number; params: SignWithTokenParams };

export interface WorkerReply {
  id: number;
  prepared?: PreparedIssuance;
  error?: { code: CaErrorCode; message: string; audit?: AuditEntry };
}

function keysOf(s: FederationSnapshot): CaKeyRecord[] {
  const base = { federationId: s.federation.id, encryptedKey: '', active: true, createdAt: s.federation.createdAt, keySpec: s.federation.keySpec, notAfter: null };
  return [
    { ...base, id: 'root', purpose: 'root', certificate: s.root, publicJwk: null, fingerprint: s.federation.rootFingerprint },
    { ...base, id: 'intermediate', purpose: 'intermediate', certificate: s.intermediate, publicJwk: null, fingerprint: null },
    { ...base, id: 'provisioner', purpose: 'provisioner', keySpec: 'EC-P256', certificate: null, publicJwk: s.provisionerJwk, fingerprint: null },
  ];
}

if (parentPort) {
  const port = parentPort;
  const { storeConfig, aliases } = workerData as { storeConfig: StoreConfig; aliases: string[] };
  // Token lookups only: this thread never writes.
  const store = openStore(storeConfig).then((d) => d.store);
  const crypto = nodeCrypto();
  let keyring = new Keyring();
  // Requests queue behind a federation update so none is served with stale keys.
  let ready: Promise<void> = Promise.resolve();

  port.on('message', (msg: WorkerRequest) => {
    if (msg.kind === 'federations') {
      ready = ready.then(async () => {
        const next = new Keyring();
        for (const s of msg.federations) {
          next.set(await federationContext({ federation: s.federation, keys: keysOf(s), intermediateKey: signingKeyFrom(s.intermediateKey), aliases }, crypto));
        }
        keyring = next;
      });
      return;
    }
    const { id, params } = msg;
    void ready
      .then(async () => prepareTokenIssuance(params, { store: await store, lookup: (kid) => keyring.byKid(kid), now: () => new Date(), crypto }))
      .then(
        (prepared) => port.postMessage({ id, prepared } satisfies WorkerReply, [prepared.record.der.buffer as ArrayBuffer]),
        (e: unknown) => {
          const reply: WorkerReply = isCaError(e)
            ? { id, error: { code: e.code, message: e.message, audit: refusalAuditOf(e) } }
            : { id, error: { code: 'internal', message: 'The certificate authority could not complete the request.' } };
          if (!isCaError(e)) console.error('signing thread error', e);
          port.postMessage(reply);
        },
      );
  });
}
