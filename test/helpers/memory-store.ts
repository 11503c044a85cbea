/**
 * An in-memory `CaStore` for unit tests: a test double of storage only (the crypto
 * stays real). It keeps the contract `db/store.ts` keeps with SQL: `recordIssuance`
 * checks the federation, consumes the token only while it is pending and unexpired
 * (with the same leeway), stores the certificate and appends the audit entry, all
 * without yielding in between — so of concurrent calls with one token exactly one
 * gets through, as with the conditional UPDATE.
 */

import { CertificateAuthority } from '@/lib/ca/authority';
import type { AuditEntry } from '@/lib/ca/audit';
import { CaError } from '@/lib/ca/errors';
import type { CaStore, IssuanceRecord, Revoked } from '@/lib/ca/store';
import { KEY_COMPROMISE, keyCompromisedError, sameKeyRevocation } from '@/lib/ca/revoke';
import { TOKEN_LEEWAY_SECONDS } from '@/lib/ca/token';
import type { CaKeyRecord, CertificateRecord, CrlRecord, ExpiringCertificate, ExpiryNotice, FederationRecord, RevocationRecord, RevokedEntry, TokenRecord } from '@/lib/ca/types';

const clone = <T>(v: T): T => structuredClone(v);

export class MemoryCaStore implements CaStore {
  readonly federations = new Map<string, FederationRecord>();
  readonly keys = new Map<string, CaKeyRecord[]>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly certificates = new Map<string, CertificateRecord>();
  readonly audit: AuditEntry[] = [];

  async listFederations(): Promise<FederationRecord[]> {
    return [...this.federations.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(clone);
  }

  async getFederation(id: string): Promise<FederationRecord | undefined> {
    const f = this.federations.get(id);
    return f && clone(f);
  }

  async listCaKeys(federationId: string): Promise<CaKeyRecord[]> {
    return (this.keys.get(federationId) ?? []).map(clone);
  }

  async createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry): Promise<void> {
    for (const f of this.federations.values()) {
      if (f.id === federation.id || f.name === federation.name || f.caUrl === federation.caUrl) {
        throw new CaError('conflict', 'A federation with this id, name or CA URL already exists.');
      }
    }
    this.federations.set(federation.id, clone(federation));
    this.keys.set(federation.id, keys.map(clone));
    this.audit.push(clone(audit));
  }

  async updateFederation(federation: FederationRecord, audit: AuditEntry): Promise<void> {
    if (!this.federations.has(federation.id)) throw new CaError('not_found', 'No such federation.');
    this.federations.set(federation.id, clone(federation));
    this.audit.push(clone(audit));
  }

  async insertToken(token: TokenRecord, audit: AuditEntry): Promise<void> {
    if (this.tokens.has(token.jti)) throw new CaError('conflict', 'duplicate token id');
    this.tokens.set(token.jti, clone(token));
    this.audit.push(clone(audit));
  }

  async getToken(jti: string): Promise<TokenRecord | undefined> {
    const t = this.tokens.get(jti);
    return t && clone(t);
  }

  async cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry): Promise<TokenRecord> {
    const t = this.tokens.get(jti);
    if (!t) throw new CaError('not_found', 'No such token.');
    if (t.state !== 'pending') throw new CaError('conflict', `The token is already ${t.state}; only a pending token can be cancelled.`);
    t.state = 'cancelled';
    t.cancelledAt = at;
    t.cancelledBy = actor;
    this.audit.push(clone(audit));
    return clone(t);
  }

  async recordIssuance({ certificate, consumeJti, now, audit }: IssuanceRecord): Promise<void> {
    // No await from here to the end: this is the transaction.
    const federation = this.federations.get(certificate.federationId);
    if (federation?.status !== 'active') throw new CaError('federation_disabled', 'The request is refused: the federation has been disabled.');
    if (this.certificates.has(certificate.serial)) throw new CaError('conflict', 'duplicate serial');
    if (certificate.keySha256 && this.compromisedKeys.has(certificate.keySha256)) throw keyCompromisedError();
    if (consumeJti) {
      const t = this.tokens.get(consumeJti);
      if (!t) throw new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it.');
      if (t.state === 'used') throw new CaError('token_used', 'The token has already been used: ask your administrator for a new one.');
      if (t.state === 'cancelled') throw new CaError('token_cancelled', 'The token has been cancelled by an administrator.');
      if (t.expiresAt.getTime() <= now.getTime() - TOKEN_LEEWAY_SECONDS * 1000) throw new CaError('token_expired', 'The token has expired.');
      t.state = 'used';
      t.usedAt = now;
      t.certSerial = certificate.serial;
    }
    this.certificates.set(certificate.serial, clone(certificate));
    this.audit.push(clone(audit));
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const c = this.certificates.get(serial);
    return c && clone(c);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(clone(entry));
  }

  // ------------------------------------------------------------ lifecycle (same contract as db/store.ts)

  readonly revocations = new Map<string, RevocationRecord>();
  readonly compromisedKeys = new Map<string, string>();
  readonly crls = new Map<string, CrlRecord>();
  readonly crlCounters = new Map<string, number>();
  readonly usedOnce = new Map<string, Date>();
  readonly notices = new Map<string, { serial: string; threshold: number; state: 'pending' | 'delivered' | 'failed'; attempts: number; nextAttemptAt: Date; lastError: string | null }>();

  async markRevoked(r: RevocationRecord, audit: AuditEntry, consumeJti?: string): Promise<Revoked> {
    if (consumeJti) {
      const t = this.tokens.get(consumeJti);
      if (!t) throw new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it.');
      if (t.state === 'used') throw new CaError('token_used', 'The token has already been used: ask your administrator for a new one.');
      if (t.state === 'cancelled') throw new CaError('token_cancelled', 'The token has been cancelled by an administrator.');
      if (t.kind !== 'revoke' || t.expiresAt.getTime() <= r.revokedAt.getTime() - TOKEN_LEEWAY_SECONDS * 1000) throw new CaError('token_expired', 'The token has expired.');
    }
    const c = this.certificates.get(r.serial);
    if (!c) throw new CaError('not_found', `No certificate with serial ${r.serial} was issued by this certificate authority.`);
    if (c.status === 'revoked') throw new CaError('already_revoked', `Certificate ${r.serial} was already revoked.`);
    if (consumeJti) Object.assign(this.tokens.get(consumeJti)!, { state: 'used', usedAt: r.revokedAt, certSerial: r.serial });
    Object.assign(c, { status: 'revoked', revokedAt: r.revokedAt, revocationReason: r.reasonCode });
    this.revocations.set(r.serial, clone(r));
    this.audit.push(clone(audit));
    const alsoRevoked: CertificateRecord[] = [];
    if (r.reasonCode === KEY_COMPROMISE && c.keySha256) {
      if (!this.compromisedKeys.has(c.keySha256)) this.compromisedKeys.set(c.keySha256, r.serial);
      for (const other of this.certificates.values()) {
        if (other.keySha256 !== c.keySha256 || other.status !== 'valid') continue;
        const same = sameKeyRevocation(r, audit, other);
        Object.assign(other, { status: 'revoked', revokedAt: r.revokedAt, revocationReason: KEY_COMPROMISE });
        this.revocations.set(other.serial, clone(same.revocation));
        this.audit.push(clone(same.audit));
        alsoRevoked.push(clone(other));
      }
    }
    return { certificate: clone(c), alsoRevoked };
  }

  async listRevoked(federationId: string, o: { expiresAfter: Date }): Promise<RevokedEntry[]> {
    return [...this.revocations.values()]
      .filter((r) => r.federationId === federationId && r.expiresAt > o.expiresAfter)
      .map(({ serial, revokedAt, reasonCode, expiresAt }) => ({ serial, revokedAt, reasonCode, expiresAt }));
  }

  async latestRevocationAt(federationId: string): Promise<Date | undefined> {
    const times = [...this.revocations.values()].filter((r) => r.federationId === federationId).map((r) => r.revokedAt.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }

  async nextCrlNumber(federationId: string): Promise<number> {
    const next = Math.max(this.crls.get(federationId)?.number ?? 0, this.crlCounters.get(federationId) ?? 0) + 1;
    this.crlCounters.set(federationId, next);
    return next;
  }

  async saveCrl(crl: CrlRecord, audit: AuditEntry): Promise<boolean> {
    const current = this.crls.get(crl.federationId);
    if (current && current.number >= crl.number) return false;
    this.crls.set(crl.federationId, clone(crl));
    this.audit.push(clone(audit));
    return true;
  }

  async getCrl(federationId: string, newerThan?: number): Promise<CrlRecord | undefined> {
    const c = this.crls.get(federationId);
    return c && (newerThan === undefined || c.number > newerThan) ? clone(c) : undefined;
  }

  async useOnce(id: string, _purpose: string, expiresAt: Date): Promise<void> {
    if (this.usedOnce.has(id)) throw new CaError('token_used', 'The renewal token has already been used: make a new one.');
    this.usedOnce.set(id, expiresAt);
  }

  async purgeUsedOnce(before: Date): Promise<number> {
    let n = 0;
    for (const [id, exp] of this.usedOnce) if (exp < before && this.usedOnce.delete(id)) n++;
    return n;
  }

  async findExpiryNoticesDue(o: { threshold: number; from: Date; until: Date; limit: number }): Promise<ExpiringCertificate[]> {
    const renewed = new Set([...this.certificates.values()].map((c) => c.renewedFrom).filter(Boolean));
    return [...this.certificates.values()]
      .filter((c) => c.status === 'valid' && c.notAfter > o.from && c.notAfter <= o.until && !renewed.has(c.serial))
      .filter((c) => ![...this.notices.values()].some((n) => n.serial === c.serial && n.threshold <= o.threshold))
      .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())
      .slice(0, o.limit)
      .map(({ serial, federationId, commonName, sans, role, notAfter }) => ({ serial, federationId, commonName, sans: [...sans], role, notAfter }));
  }

  async enqueueExpiryNotice(serial: string, threshold: number, now: Date): Promise<void> {
    const key = `${serial}:${threshold}`;
    if (!this.notices.has(key)) this.notices.set(key, { serial, threshold, state: 'pending', attempts: 0, nextAttemptAt: now, lastError: null });
  }

  async claimExpiryNotices(o: { now: Date; limit: number; leaseUntil: Date }): Promise<ExpiryNotice[]> {
    const due = [...this.notices.values()].filter((n) => n.state === 'pending' && n.nextAttemptAt <= o.now).slice(0, o.limit);
    return due.map((n) => {
      n.nextAttemptAt = o.leaseUntil;
      const c = this.certificates.get(n.serial)!;
      return { serial: n.serial, threshold: n.threshold, attempts: n.attempts, certificate: { serial: c.serial, federationId: c.federationId, commonName: c.commonName, sans: [...c.sans], role: c.role, notAfter: c.notAfter } };
    });
  }

  async finishExpiryNotice(o: { serial: string; threshold: number; state: 'pending' | 'delivered' | 'failed'; attempts: number; nextAttemptAt: Date; lastError: string | null; audit?: AuditEntry }): Promise<void> {
    const n = this.notices.get(`${o.serial}:${o.threshold}`);
    if (n) Object.assign(n, { state: o.state, attempts: o.attempts, nextAttemptAt: o.nextAttemptAt, lastError: o.lastError });
    if (o.audit) this.audit.push(clone(o.audit));
  }
}

/** A CertificateAuthority on a MemoryCaStore with one federation, "default". */
export async function memoryAuthority(o: { now?: () => Date } = {}): Promise<{ authority: CertificateAuthority; store: MemoryCaStore }> {
  const store = new MemoryCaStore();
  const authority = new CertificateAuthority({ store, password: 'unit test password', iterations: 1000, now: o.now });
  await authority.createFederation({ id: 'default', name: 'Test Federation', caUrl: 'localhost:9123' }, { id: 'test' });
  return { authority, store };
}
