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
 *
 * One thread fewer than cores, and the main thread signs the overflow. Each thread takes
 * up to `queue` requests in flight; beyond that, requests wait in one queue, and each
 * goes to whichever comes first: a thread with room, or the main thread, which signs
 * one waiting request per turn of its event loop (the same `signWithToken` it runs with
 * no threads). The main thread's own share of an issuance (HTTPS, the token lookup, the
 * commit) is about half a thread's, so on two cores one thread plus the main thread keep
 * both busy with one thread fewer to contend for them and to hold keys in memory.
 * Signing on the main thread as requests arrive instead starved the thread at
 * concurrency 64 (1,183 against 1,458 certs/s, p99 126 ms): the main thread's backlog
 * kept requests a freed thread could have taken.
 *
 * `ab.ts` on two cores, this against two threads without overflow: P-256 at concurrency
 * 16, 1,488 against 1,399 and 1,373 against 1,468 certs/s (8 rounds each: the same
 * within this machine's noise); P-384 at 16, 846 against 780; P-256 at 64, 1,416
 * against 1,458.
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
  /** Requests a thread may have in flight before the main thread signs new ones itself. */
  queue: number;
  aliases: readonly string[];
  log: Logger;
  workerUrl: URL;
}

interface Slot {
  worker: Worker;
  inflight: number;
  version: number;
}

/** One per core but one (the main thread signs the overflow), at least one, at most 4. */
export function defaultSigningThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** Enough for a thread never to run dry while the main thread commits or signs (~1–3 ms). */
export const DEFAULT_SIGNING_QUEUE = 12;

export class SigningPool {
  readonly #o: SigningPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void }>();
  #nextId = 1;
  readonly #overflow: { p: SignWithTokenParams; resolve: (r: IssuedCertificate) => void; reject: (e: unknown) => void }[] = [];
  #assistScheduled = false;

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
    const slot = this.#leastBusy();
    if (slot.inflight < this.#o.queue) return this.#onThread(slot, p);
    // Every thread's queue is full: the request waits for whichever comes first, a
    // thread's free place or the main thread (see above).
    return new Promise((resolve, reject) => {
      this.#overflow.push({ p, resolve, reject });
      this.#scheduleAssist();
    });
  }

  #leastBusy(): Slot {
    return this.#slots.reduce((a, b) => (b.inflight < a.inflight ? b : a));
  }

  /**
   * The main thread signs one waiting request per turn of the event loop, after the
   * loop has read the network and the threads' answers (which refill the threads), so
   * its own signing never leaves a thread idle.
   */
  #scheduleAssist(): void {
    if (this.#assistScheduled) return;
    this.#assistScheduled = true;
    setImmediate(() => {
      this.#assistScheduled = false;
      const job = this.#overflow.shift();
      if (!job) return;
      this.#o.authority.signWithToken(job.p).then(job.resolve, job.reject);
      if (this.#overflow.length) this.#scheduleAssist();
    });
  }

  /** Gives a thread that has room the oldest waiting requests. */
  #refill(slot: Slot): void {
    while (slot.inflight < this.#o.queue && this.#overflow.length) {
      const job = this.#overflow.shift()!;
      this.#onThread(slot, job.p).then(job.resolve, job.reject);
    }
  }

  async #onThread(slot: Slot, p: SignWithTokenParams): Promise<IssuedCertificate> {
    slot.inflight++;
    let reply: WorkerReply;
    try {
      const jti = unverifiedJti(p.ott);
      const token = (jti && (await this.#o.store.getToken(jti))) || null;
      this.#sync(slot);
      const id = this.#nextId++;
      reply = await new Promise<WorkerReply>((resolve, reject) => {
        this.#waiting.set(id, { resolve, reject });
        const msg: WorkerRequest = { kind: 'sign', id, params: p, token };
        slot.worker.postMessage(msg);
      });
    } finally {
      slot.inflight--;
      this.#refill(slot);
    }
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

  /**
   * Stops the threads and refuses what has not been answered. Waiting requests are taken
   * off the queue first, so neither the main thread nor a freed thread starts one while
   * the threads stop (the database closes right after).
   */
  async close(): Promise<void> {
    const queued = this.#overflow.splice(0);
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const w of [...this.#waiting.values(), ...queued]) w.reject(new CaError('unavailable', 'The server is stopping.'));
  }
}
