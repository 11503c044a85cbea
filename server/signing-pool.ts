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
 *
 * A thread that dies is replaced at once, and the requests it held go to a live thread:
 * a thread only prepares, so nothing of theirs was recorded and the token is still
 * pending. Each request is moved once: one of them may be what killed the thread, and a
 * second death with it, or its thread's death with no other left, refuses it with 503
 * `unavailable` rather than let it kill thread after thread or the main thread (the same
 * token can still be sent again). A request that was only in its token lookup when its
 * thread died cannot have caused it, and goes to the main thread if no thread is left.
 * Restarts are bounded so that nothing respawns threads in a loop: none until some thread
 * has answered (a broken install), and at most `MAX_RESTARTS` a minute; past that no
 * thread is started and the main thread signs.
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
  /** The clock for the restart bound, in milliseconds (tests move it); `Date.now` by default. */
  now?: () => number;
}

type Waiter = { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void };

interface Slot {
  worker: Worker;
  /** Requests sent to the thread and not yet answered, by id. */
  sent: Map<number, Waiter>;
  /** Requests given to this thread, from the token lookup before sending to the answer. */
  inflight: number;
  version: number;
  /** The thread has stopped. */
  dead: boolean;
}

/** A thread died twice with the request, or none is left: nothing was recorded, so it can be sent again. */
const threadStopped = () => new CaError('unavailable', 'A signing thread stopped before answering; the token was not used, so the request can be sent again.');
const serverStopping = () => new CaError('unavailable', 'The server is stopping.');
/** How a waiter learns that its thread died holding it (internal: never reaches a client). */
const THREAD_DIED = Symbol('thread died');

/** Thread restarts allowed in `RESTART_WINDOW_MS`; more than that is a loop, not bad luck. */
export const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/** One per core but one (the main thread signs the overflow), at least one, at most 4. */
export function defaultSigningThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** Enough for a thread never to run dry while the main thread commits or signs (~1–3 ms). */
export const DEFAULT_SIGNING_QUEUE = 12;

export class SigningPool {
  readonly #o: SigningPoolOptions;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closing = false;
  readonly #overflow: { p: SignWithTokenParams; resolve: (r: IssuedCertificate) => void; reject: (e: unknown) => void }[] = [];
  #assistScheduled = false;
  /** Some thread has answered a request: the install works, so a thread that dies is worth replacing. */
  #proven = false;
  /** When threads were restarted, within the last `RESTART_WINDOW_MS`. */
  #restarts: number[] = [];

  constructor(o: SigningPoolOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.#o.threads; i++) this.#slots.push(this.#spawn(i));
  }

  /** Starts a thread and gives it the federations' keys before any request. */
  #spawn(index: number): Slot {
    const worker = new Worker(this.#o.workerUrl, { workerData: { aliases: this.#o.aliases, index } });
    const slot: Slot = { worker, sent: new Map(), inflight: 0, version: -1, dead: false };
    worker.on('message', (reply: WorkerReply) => {
      this.#proven = true;
      const waiter = slot.sent.get(reply.id);
      if (!waiter) return;
      slot.sent.delete(reply.id);
      waiter.resolve(reply);
    });
    worker.on('error', (e) => this.#o.log.error('signing thread failed', { thread: index, error: e }));
    worker.on('exit', (code) => {
      if (!this.#closing) this.#replace(slot, index, code);
    });
    worker.unref();
    this.#sync(slot);
    return slot;
  }

  /**
   * A thread that stops on its own (an uncaught error, out of memory) is replaced at
   * once, within the restart bounds; the requests it held learn of it and move to a
   * live thread or are refused as retryable (`#onThread`), instead of hanging.
   */
  #replace(dead: Slot, index: number, exitCode: number): void {
    dead.dead = true;
    this.#slots.splice(this.#slots.indexOf(dead), 1);
    const fields = { thread: index, exitCode, held: dead.sent.size };
    const now = (this.#o.now ?? Date.now)();
    this.#restarts = this.#restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    const fallback = this.#slots.length ? '' : ', the main thread signs';
    if (!this.#proven) {
      this.#o.log.error(`signing thread stopped before any thread answered; not restarted${fallback}`, fields);
    } else if (this.#restarts.length >= MAX_RESTARTS) {
      this.#o.log.error(`signing thread stopped after ${MAX_RESTARTS} restarts within a minute; not restarted${fallback}`, fields);
    } else {
      this.#restarts.push(now);
      this.#o.log.error('signing thread stopped; starting a new one', fields);
      const fresh = this.#spawn(index);
      this.#slots.push(fresh);
      this.#refill(fresh);
    }
    // After the replacement is in place, so the held requests can move to it.
    for (const w of dead.sent.values()) w.reject(THREAD_DIED);
    dead.sent.clear();
  }

  #sync(slot: Slot): void {
    const version = this.#o.authority.keyring.version;
    if (slot.version === version) return;
    const msg: WorkerRequest = { kind: 'federations', federations: federationSnapshots(this.#o.authority) };
    slot.worker.postMessage(msg);
    slot.version = version;
  }

  async sign(p: SignWithTokenParams): Promise<IssuedCertificate> {
    // Once stopping, the threads are gone or going: a request would wait for them forever.
    if (this.#closing) throw serverStopping();
    const slot = this.#leastBusy();
    if (!slot) return this.#o.authority.signWithToken(p);
    if (slot.inflight < this.#o.queue) return this.#onThread(slot, p);
    // Every thread's queue is full: the request waits for whichever comes first, a
    // thread's free place or the main thread (see above).
    return new Promise((resolve, reject) => {
      this.#overflow.push({ p, resolve, reject });
      this.#scheduleAssist();
    });
  }

  #leastBusy(): Slot | undefined {
    return this.#slots.reduce<Slot | undefined>((a, b) => (a && a.inflight <= b.inflight ? a : b), undefined);
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

  /** Gives a thread that has room the oldest waiting requests (with none, the main thread takes them). */
  #refill(slot: Slot | undefined): void {
    while (slot && slot.inflight < this.#o.queue && this.#overflow.length) {
      const job = this.#overflow.shift()!;
      this.#onThread(slot, job.p).then(job.resolve, job.reject);
    }
  }

  async #onThread(first: Slot, p: SignWithTokenParams): Promise<IssuedCertificate> {
    let slot = first;
    slot.inflight++;
    let reply: WorkerReply | undefined;
    try {
      const jti = unverifiedJti(p.ott);
      const token = (jti && (await this.#o.store.getToken(jti))) || null;
      // Whether a thread has already died holding this request (it may be what kills them).
      let diedWith = false;
      for (;;) {
        if (this.#closing) throw serverStopping();
        if (slot.dead) {
          // Its thread died: during the lookup (it is not the cause) or holding it (once).
          const next = this.#leastBusy();
          if (!next) {
            // No thread is left (the restart bound). A request its thread died holding
            // may be what kills them, so it is refused; one that was only being looked
            // up did not, and the main thread signs it below.
            if (diedWith) throw threadStopped();
            break;
          }
          slot.inflight--;
          slot = next;
          slot.inflight++;
        }
        this.#sync(slot);
        const id = this.#nextId++;
        const target = slot;
        try {
          reply = await new Promise<WorkerReply>((resolve, reject) => {
            target.sent.set(id, { resolve, reject });
            const msg: WorkerRequest = { kind: 'sign', id, params: p, token };
            target.worker.postMessage(msg);
          });
          break;
        } catch (e) {
          if (e !== THREAD_DIED) throw e;
          if (diedWith) throw threadStopped();
          diedWith = true;
        }
      }
    } finally {
      slot.inflight--;
      // A dead thread's place went to its replacement.
      this.#refill(slot.dead ? this.#leastBusy() : slot);
    }
    const { store, authority } = this.#o;
    if (!reply) return authority.signWithToken(p);
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
   * the threads stop (the database closes right after); requests that come later are
   * refused at once.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const queued = this.#overflow.splice(0);
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const w of [...this.#slots.flatMap((s) => [...s.sent.values()]), ...queued]) w.reject(serverStopping());
  }
}
