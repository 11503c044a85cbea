/**
 * Issuance on both cores. The main thread owns HTTP and the database; worker threads run
 * the CPU-bound part of issuance (token signature, CSR proof of possession, encoding and
 * signing the leaf — `prepareTokenIssuance`) with their own copy of the federations'
 * signing keys. The main thread looks the token up by the `jti` it claims and sends the
 * record along: a primary-key read on the writer's warm connection costs ~8 µs, where a
 * separate connection in the thread re-reads its pages after every commit (~130 µs,
 * measured). The prepared certificate comes back to the main thread, which records it
 * (group commit, re-checking the token is pending) before answering, so single use and
 * durability are exactly as without threads.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CertificateAuthority } from '../lib/ca/authority';
import { CaError } from '../lib/ca/errors';
import { attachRefusalAudit, auditRefusal, commitTokenIssuance, type IssuedCertificate, type PreparedIssuance, type SignWithTokenParams } from '../lib/ca/issue';
import { unverifiedJti } from '../lib/ca/token';
import type { CaStore } from '../lib/ca/store';
import type { Logger } from './log';
import { federationSnapshots } from './signing-snapshot';
import type { WorkerReply, WorkerRequest } from './signing-worker';

export interface SigningPoolOptions {
  authority: CertificateAuthority;
  store: CaStore;
  threads: number;
  aliases: readonly string[];
  log: Logger;
  workerUrl: URL;
}

interface Slot {
  worker: Worker;
  inflight: number;
  version: number;
}

export function defaultSigningThreads(): number {
  return Math.min(4, availableParallelism());
}

export class SigningPool {
  readonly #o: SigningPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }>();
  #nextId = 1;

  constructor(o: SigningPoolOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.#o.threads; i++) {
      const worker = new Worker(this.#o.workerUrl, { workerData: { aliases: this.#o.aliases, index: i } });
      worker.on('message', (reply: WorkerReply) => {
        const waiter = this.#waiting.get(reply.id);
        if (!waiter) return;
        this.#waiting.delete(reply.id);
        waiter.resolve(reply);
      });
      worker.on('error', (e) => this.#o.log.error('signing thread failed', { error: e }));
      worker.unref();
      this.#slots.push({ worker, inflight: 0, version: -1 });
    }
    for (const slot of this.#slots) this.#sync(slot);
  }

  #sync(slot: Slot): void {
    const version = this.#o.authority.keyring.version;
    if (slot.version === version) return;
    const msg: WorkerRequest = { kind: 'federations', federations: federationSnapshots(this.#o.authority) };
    slot.worker.postMessage(msg);
    slot.version = version;
  }

  async sign(p: SignWithTokenParams): Promise<IssuedCertificate> {
    const jti = unverifiedJti(p.ott);
    const token = (jti && (await this.#o.store.getToken(jti))) || null;
    const slot = this.#slots.reduce((a, b) => (b.inflight < a.inflight ? b : a));
    this.#sync(slot);
    const id = this.#nextId++;
    slot.inflight++;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const msg: WorkerRequest = { kind: 'sign', id, params: p, token };
      slot.worker.postMessage(msg);
    }).finally(() => slot.inflight--);
    const { store, authority } = this.#o;
    try {
      if (reply.error) {
        // The thread's CaError, rebuilt on this side with the refusal's audit entry.
        const e = new CaError(reply.error.code, reply.error.message);
        if (reply.error.audit) attachRefusalAudit(e, reply.error.audit);
        throw e;
      }
      const prepared = reply.prepared as PreparedIssuance;
      return await commitTokenIssuance(prepared, authority.keyring.require(prepared.record.federationId), store);
    } catch (e) {
      await auditRefusal(e, store);
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const w of this.#waiting.values()) w.reject(new CaError('unavailable', 'The server is stopping.'));
  }
}
