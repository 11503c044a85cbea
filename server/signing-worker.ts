/**
 * A signing thread (see signing-pool.ts): holds the federations' signing keys and
 * prepares certificates. It has no database: the token record comes with the request.
 * Its keys come as snapshots (signing-snapshot.ts) whenever the set of unlocked
 * federations changes.
 */

import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { isCaError } from '../lib/ca/errors';
import { prepareTokenIssuance, refusalAuditOf, type PreparedIssuance, type SignWithTokenParams } from '../lib/ca/issue';
import { Keyring } from '../lib/ca/keyring';
import type { TokenRecord } from '../lib/ca/types';
import type { AuditEntry } from '../lib/ca/audit';
import type { CaErrorCode } from '../lib/ca/errors';
import { nodeCrypto } from '../lib/crypto/node-crypto';
import { keyringFrom, type FederationSnapshot } from './signing-snapshot';

export type WorkerRequest = { kind: 'federations'; federations: FederationSnapshot[] } | { kind: 'sign'; id: number; params: SignWithTokenParams; token: TokenRecord | null };

export interface WorkerReply {
  id: number;
  prepared?: PreparedIssuance;
  error?: { code: CaErrorCode; message: string; audit?: AuditEntry };
}

if (parentPort) {
  const port = parentPort;
  const { aliases, index } = workerData as { aliases: string[]; index: number };
  // A name for `top -H`, `perf` and the benchmark's CPU-by-thread figures; Linux only,
  // and signing does not depend on it.
  try {
    writeFileSync('/proc/thread-self/comm', `fedpki-sign-${index}`);
  } catch {
    /* not Linux, or no /proc */
  }
  const crypto = nodeCrypto();
  let keyring = new Keyring();
  // Requests queue behind a federation update so none is served with stale keys.
  let ready: Promise<void> = Promise.resolve();

  port.on('message', (msg: WorkerRequest) => {
    if (msg.kind === 'federations') {
      ready = ready.then(async () => {
        keyring = await keyringFrom(msg.federations, aliases, crypto);
      });
      return;
    }
    const { id, params, token } = msg;
    // The record the main thread found under the token's claimed jti; the verified jti must match it.
    const store = { getToken: async (jti: string) => (token?.jti === jti ? token : undefined) };
    void ready
      .then(async () => prepareTokenIssuance(params, { store, lookup: (kid) => keyring.byKid(kid), now: () => new Date(), crypto }))
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
