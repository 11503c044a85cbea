/**
 * Each federation's CRL: built from the revocations table, signed by its intermediate,
 * numbered by the store (strictly increasing, also across processes), valid 24 hours
 * and rebuilt on every revocation and at two thirds of its life (step-ca's
 * `crl.cacheDuration` / `renewPeriod` defaults). Revoked certificates leave the list
 * a day after they expire.
 *
 * `CrlPublisher` keeps builds off the signing path and coalesces them: while one build
 * runs, any number of requests for another share a single follow-up build, which
 * starts after the running one and so sees every revocation committed before it.
 */

import { getCrypto } from '../pki/crypto';
import { signCrl } from '../pki/crl';
import { ActivityType, auditEntry } from './audit';
import { isCaError } from './errors';
import type { FederationContext } from './keyring';
import type { CaStore } from './store';
import type { CrlRecord } from './types';

export const CRL_VALIDITY_SECONDS = 24 * 3600;
/** Rebuild when this fraction of the CRL's life has passed. */
export const CRL_RENEW_FRACTION = 2 / 3;
/** Revoked certificates stay listed this long after they expire (RFC 5280 §3.3 allows removal after expiry). */
export const CRL_EXPIRED_GRACE_SECONDS = 24 * 3600;
/**
 * thisUpdate (CRL and OCSP) is set this far in the past, so that a relying party whose
 * clock runs a little behind does not refuse a list fresh from a revocation as "not
 * yet valid" — exactly when it matters. Never before a revocation the list or answer
 * states, though: a CRL dated before the revocations it lists contradicts itself
 * (RFC 5280 §5.1.2.4: thisUpdate is its issue date).
 */
export const STATUS_BACKDATE_SECONDS = 60;

/** When a CRL was built: its nextUpdate less its lifetime (thisUpdate may be backdated by up to a minute). */
export function crlBuiltAt(crl: Pick<CrlRecord, 'nextUpdate'>, validitySeconds = CRL_VALIDITY_SECONDS): Date {
  return new Date(crl.nextUpdate.getTime() - validitySeconds * 1000);
}

/** The backdated thisUpdate, but not before `latest` (the newest revocation stated). */
export function statusThisUpdate(nowMs: number, latest?: Date | null): Date {
  return new Date(Math.max(nowMs - STATUS_BACKDATE_SECONDS * 1000, latest ? Math.floor(latest.getTime() / 1000) * 1000 : 0));
}

export interface BuildCrlParams {
  ctx: FederationContext;
  number: number;
  entries: readonly { serial: string; revokedAt: Date; reasonCode: number }[];
  now: Date;
  validitySeconds?: number;
}

export async function buildCrl(p: BuildCrlParams, crypto: Crypto = getCrypto()): Promise<CrlRecord> {
  const nowMs = Math.floor(p.now.getTime() / 1000) * 1000;
  let latest: Date | undefined;
  for (const e of p.entries) if (!latest || e.revokedAt > latest) latest = e.revokedAt;
  const thisUpdate = statusThisUpdate(nowMs, latest);
  const nextUpdate = new Date(nowMs + (p.validitySeconds ?? CRL_VALIDITY_SECONDS) * 1000);
  const der = await signCrl(
    {
      signatureAlgorithm: p.ctx.leaf.signatureAlgorithm,
      issuer: p.ctx.intermediate.fields.subjectDer,
      authorityKeyId: p.ctx.intermediate.keyId,
      thisUpdate,
      nextUpdate,
      number: p.number,
      entries: p.entries.map((e) => ({ serialNumber: e.serial, revocationDate: e.revokedAt, reasonCode: e.reasonCode })),
    },
    p.ctx.intermediate.key,
    crypto,
  );
  return { federationId: p.ctx.federation.id, number: p.number, thisUpdate, nextUpdate, der };
}

export interface CrlPublisherOptions {
  store: CaStore;
  federation: (id: string) => FederationContext;
  now: () => Date;
  crypto?: Crypto;
  validitySeconds?: number;
}

interface Slot {
  /** The build in progress. */
  running?: Promise<CrlRecord>;
  /** The one build waiting for it, shared by every caller that came meanwhile. */
  queued?: Promise<CrlRecord>;
  current?: CrlRecord;
  /** For a CRL this process built: the latest revocation time known before its list was read. */
  covered?: { number: number; latestRevocation: number };
}

export class CrlPublisher {
  readonly #o: CrlPublisherOptions;
  readonly #slots = new Map<string, Slot>();

  constructor(o: CrlPublisherOptions) {
    this.#o = o;
  }

  #slot(federationId: string): Slot {
    let slot = this.#slots.get(federationId);
    if (!slot) this.#slots.set(federationId, (slot = {}));
    return slot;
  }

  /**
   * Builds, signs and stores a new CRL for the federation. Concurrent calls share
   * builds; the returned CRL was started after this call was made.
   */
  publish(federationId: string, actor = 'system'): Promise<CrlRecord> {
    const slot = this.#slot(federationId);
    if (slot.queued) return slot.queued;
    const after = slot.running;
    const build = () => this.#build(federationId, actor);
    const p = after ? after.then(build, build) : build();
    const settle = () => {
      if (slot.running === p) {
        slot.running = slot.queued;
        slot.queued = undefined;
      }
    };
    p.then(settle, settle);
    if (after) slot.queued = p;
    else slot.running = p;
    return p;
  }

  async #build(federationId: string, actor: string): Promise<CrlRecord> {
    const { store } = this.#o;
    const ctx = this.#o.federation(federationId);
    const now = this.#o.now();
    // The number first, then the list: a higher number always means a list at least as new.
    const number = await store.nextCrlNumber(federationId);
    // Read before the list, so every revocation up to this time is in it.
    const latestRevocation = (await store.latestRevocationAt(federationId))?.getTime() ?? 0;
    const entries = await store.listRevoked(federationId, { expiresAfter: new Date(now.getTime() - CRL_EXPIRED_GRACE_SECONDS * 1000) });
    const crl = await buildCrl({ ctx, number, entries, now, validitySeconds: this.#o.validitySeconds }, this.#o.crypto);
    const saved = await store.saveCrl(
      crl,
      auditEntry(ActivityType.CRL_PUBLISHED, {
        at: now,
        actor,
        federationId,
        target: `crl:${number}`,
        details: { number, entries: entries.length, bytes: crl.der.length, nextUpdate: crl.nextUpdate.toISOString() },
      }),
    );
    const slot = this.#slot(federationId);
    if (saved) {
      slot.current = crl;
      slot.covered = { number, latestRevocation };
    } else {
      // Another process stored a newer CRL meanwhile: that one is current.
      const stored = await store.getCrl(federationId);
      if (stored) slot.current = stored;
    }
    return slot.current ?? crl;
  }

  /**
   * The federation's current CRL, as stored (another process may have published a
   * newer one); builds one when there is none or the stored one has expired.
   */
  async current(federationId: string): Promise<CrlRecord> {
    const slot = this.#slot(federationId);
    let newer: CrlRecord | undefined;
    try {
      newer = await this.#o.store.getCrl(federationId, slot.current?.number);
    } catch (e) {
      // The database is unreachable: the list this process holds is still a signed, valid
      // CRL until its nextUpdate, and relying parties are better served by it than by a 503.
      const held = slot.current;
      if (held && held.nextUpdate.getTime() > this.#o.now().getTime() && isCaError(e) && e.code === 'unavailable') return held;
      throw e;
    }
    if (newer) slot.current = newer;
    if (!slot.current || slot.current.nextUpdate.getTime() <= this.#o.now().getTime()) return this.publish(federationId);
    return slot.current;
  }

  /**
   * Whether the federation's CRL should be rebuilt now: there is none, two thirds of
   * its life have passed, or a revocation is newer than it.
   */
  async isDue(federationId: string): Promise<boolean> {
    const slot = this.#slot(federationId);
    const newer = await this.#o.store.getCrl(federationId, slot.current?.number);
    if (newer) slot.current = newer;
    const crl = slot.current;
    if (!crl) return true;
    const now = this.#o.now().getTime();
    const validity = this.#o.validitySeconds ?? CRL_VALIDITY_SECONDS;
    const built = crlBuiltAt(crl, validity).getTime();
    if (now >= built + validity * 1000 * CRL_RENEW_FRACTION) return true;
    const latest = await this.#o.store.latestRevocationAt(federationId);
    if (latest === undefined) return false;
    // A CRL built here knows exactly which revocations it covers.
    if (slot.covered?.number === crl.number) return latest.getTime() > slot.covered.latestRevocation;
    // One built by another process: its build time, rounded down to the second; a
    // revocation in that same second may be missing until that process (which
    // publishes after revoking) or the 2/3 refresh rebuilds.
    return latest.getTime() >= built + 1000;
  }

  /**
   * Rebuilds the CRLs that are due (the server's timer calls this). A federation whose
   * CRL cannot be built is reported to `failed` and the others still get theirs.
   * @returns the federations whose CRL was rebuilt
   */
  async refreshDue(
    federationIds: readonly string[],
    report: { published?: (federationId: string, crl: CrlRecord) => void; failed?: (federationId: string, error: unknown) => void } = {},
  ): Promise<string[]> {
    const rebuilt: string[] = [];
    for (const id of federationIds) {
      try {
        if (!(await this.isDue(id))) continue;
        const crl = await this.publish(id);
        report.published?.(id, crl);
        rebuilt.push(id);
      } catch (e) {
        if (!report.failed) throw e;
        report.failed(id, e);
      }
    }
    return rebuilt;
  }
}
