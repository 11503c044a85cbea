/**
 * For `threads.ts`: prepares certificates back to back inside a worker thread, from
 * one message holding them all, so the thread's own cost can be told apart from the
 * cost of a message per request. Started through ts-thread.mjs.
 */
import { writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { prepareTokenIssuance, type SignWithTokenParams } from '../../lib/ca/issue';
import type { Keyring } from '../../lib/ca/keyring';
import type { TokenRecord } from '../../lib/ca/types';
import { nodeCrypto } from '../../lib/crypto/node-crypto';
import { keyringFrom, type FederationSnapshot } from '../../server/signing-snapshot';

export type PrepareWorkerRequest =
  | { kind: 'federations'; federations: FederationSnapshot[] }
  | { kind: 'prepare'; params: SignWithTokenParams[]; tokens: (TokenRecord | null)[] };

/** The token records a prepare looks up, from memory: no mode of `threads.ts` reads the database. */
export function tokenReader(tokens: (TokenRecord | null)[]) {
  const byJti = new Map(tokens.filter((t) => t !== null).map((t) => [t.jti, t]));
  return { getToken: async (jti: string) => byJti.get(jti) };
}

if (parentPort) {
  const port = parentPort;
  // counted with the signing threads by the CPU-by-thread reader
  writeFileSync('/proc/thread-self/comm', 'fedpki-sign-bt');
  const crypto = nodeCrypto();
  let keyring: Keyring | undefined;
  port.on('message', async (msg: PrepareWorkerRequest) => {
    if (msg.kind === 'federations') {
      keyring = await keyringFrom(msg.federations, [], crypto);
      port.postMessage('ready');
      return;
    }
    const deps = { store: tokenReader(msg.tokens), lookup: (kid: string) => keyring!.byKid(kid), now: () => new Date(), crypto };
    try {
      for (const p of msg.params) await prepareTokenIssuance(p, deps);
      port.postMessage('done');
    } catch (e) {
      port.postMessage(`refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}
