/**
 * `CaStore` on SQLite through drizzle. Writes that belong together run in one
 * `BEGIN IMMEDIATE` transaction (better-sqlite3 transactions are synchronous, so no
 * other statement of this process interleaves, and other processes wait on the lock).
 * The statements on the signing path are prepared once.
 */

import { and, eq, gt, sql } from 'drizzle-orm';
import { CaError } from '../lib/ca/errors';
import type { AuditEntry } from '../lib/ca/audit';
import type { CaStore, IssuanceRecord } from '../lib/ca/store';
import type { CaKeyRecord, CertificateRecord, FederationRecord, NodeRole, TokenRecord } from '../lib/ca/types';
import type { KeySpec } from '../lib/pki/keys';
import { TOKEN_LEEWAY_SECONDS } from '../lib/ca/token';
import type { Db } from './client';
import { guardWrite, storageError } from './errors';
import { auditLog, caKeys, certificates, federations, tokens, type CaKeyRow, type CertificateRow, type FederationRow, type TokenRow } from './schema';

export const toFederation = (r: FederationRow): FederationRecord => ({ ...r, keySpec: r.keySpec as KeySpec });

const toCaKey = (r: CaKeyRow): CaKeyRecord => ({
  ...r,
  purpose: r.purpose,
  keySpec: r.keySpec as KeySpec,
  certificate: r.certificate ? new Uint8Array(r.certificate) : null,
});

export const toToken = (r: TokenRow): TokenRecord => ({ ...r, role: r.role as NodeRole });

export const toCertificate = (r: CertificateRow): CertificateRecord => {
  const { commonNameLower: _lower, ...rest } = r;
  return { ...rest, role: r.role as NodeRole, der: new Uint8Array(r.der) };
};

const certificateRow = (c: CertificateRecord) => ({ ...c, commonNameLower: c.commonName.toLowerCase(), der: Buffer.from(c.der.buffer, c.der.byteOffset, c.der.byteLength) });

const auditRow = (e: AuditEntry) => ({ ...e });

/** A placeholder bound as-is: the caller passes driver values (ms numbers, JSON text, null). */
const raw = (name: string) => sql`${sql.placeholder(name)}`;

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT');
}

export class SqliteCaStore implements CaStore {
  readonly db: Db;
  readonly #consume;
  readonly #getToken;
  readonly #insertCert;
  readonly #insertAudit;
  readonly #federationStatus;
  readonly #commitBatch: (items: IssuanceRecord[], outcomes: unknown[]) => void;
  #pending: { issuance: IssuanceRecord; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(db: Db) {
    this.db = db;
    this.#consume = db
      .update(tokens)
      .set({ state: 'used', usedAt: sql`${sql.placeholder('now')}`, certSerial: sql`${sql.placeholder('serial')}` })
      .where(and(eq(tokens.jti, sql.placeholder('jti')), eq(tokens.state, 'pending'), gt(tokens.expiresAt, sql.placeholder('expiredBefore'))))
      .prepare();
    this.#getToken = db.select().from(tokens).where(eq(tokens.jti, sql.placeholder('jti'))).prepare();
    this.#federationStatus = db.select({ status: federations.status, name: federations.name }).from(federations).where(eq(federations.id, sql.placeholder('id'))).prepare();
    this.#insertCert = db
      .insert(certificates)
      .values({
        serial: raw('serial'),
        federationId: raw('federationId'),
        commonName: raw('commonName'),
        commonNameLower: raw('commonNameLower'),
        sans: raw('sans'),
        role: raw('role'),
        keyDescription: raw('keyDescription'),
        notBefore: raw('notBefore'),
        notAfter: raw('notAfter'),
        der: raw('der'),
        fingerprint: raw('fingerprint'),
        source: raw('source'),
        tokenJti: raw('tokenJti'),
        renewedFrom: raw('renewedFrom'),
        issuedBy: raw('issuedBy'),
        createdAt: raw('createdAt'),
        status: raw('status'),
        revokedAt: raw('revokedAt'),
        revocationReason: raw('revocationReason'),
      })
      .prepare();
    this.#insertAudit = db
      .insert(auditLog)
      .values({
        at: raw('at'),
        action: raw('action'),
        actor: raw('actor'),
        sourceIp: raw('sourceIp'),
        federationId: raw('federationId'),
        target: raw('target'),
        outcome: raw('outcome'),
        details: raw('details'),
      })
      .prepare();
    const client = db.$client;
    const one = client.transaction((item: IssuanceRecord) => this.#issueOne(item));
    const batch = client.transaction((items: IssuanceRecord[], outcomes: unknown[]) => {
      items.forEach((item, i) => {
        try {
          // A nested better-sqlite3 transaction is a SAVEPOINT.
          one(item);
          outcomes[i] = undefined;
        } catch (e) {
          outcomes[i] = e;
        }
      });
    });
    this.#commitBatch = (items, outcomes) => batch.immediate(items, outcomes);
  }

  async listFederations(): Promise<FederationRecord[]> {
    return this.db.select().from(federations).orderBy(federations.createdAt).all().map(toFederation);
  }

  async getFederation(id: string): Promise<FederationRecord | undefined> {
    const row = this.db.select().from(federations).where(eq(federations.id, id)).get();
    return row && toFederation(row);
  }

  async listCaKeys(federationId: string): Promise<CaKeyRecord[]> {
    return this.db.select().from(caKeys).where(eq(caKeys.federationId, federationId)).all().map(toCaKey);
  }

  async createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry): Promise<void> {
    try {
      this.db.transaction(
        (tx) => {
          tx.insert(federations).values(federation).run();
          for (const k of keys) {
            tx.insert(caKeys)
              .values({ ...k, certificate: k.certificate ? Buffer.from(k.certificate) : null })
              .run();
          }
          tx.insert(auditLog).values(auditRow(audit)).run();
        },
        { behavior: 'immediate' },
      );
    } catch (e) {
      if (!isUniqueViolation(e)) throw storageError(e);
      throw new CaError('conflict', 'A federation with this id, name or CA URL already exists.', {
        cause: e,
        fieldErrors: { name: ['Choose a name, id and CA URL no other federation uses.'] },
      });
    }
  }

  async updateFederation(federation: FederationRecord, audit: AuditEntry): Promise<void> {
    const { id, ...rest } = federation;
    guardWrite(() => this.db.transaction(
      (tx) => {
        tx.update(federations).set(rest).where(eq(federations.id, id)).run();
        tx.insert(auditLog).values(auditRow(audit)).run();
      },
      { behavior: 'immediate' },
    ));
  }

  async insertToken(token: TokenRecord, audit: AuditEntry): Promise<void> {
    guardWrite(() => this.db.transaction(
      (tx) => {
        tx.insert(tokens).values(token).run();
        tx.insert(auditLog).values(auditRow(audit)).run();
      },
      { behavior: 'immediate' },
    ));
  }

  async getToken(jti: string): Promise<TokenRecord | undefined> {
    const row = this.#getToken.get({ jti });
    return row && toToken(row);
  }

  async cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry): Promise<TokenRecord> {
    return guardWrite(() => this.db.transaction(
      (tx) => {
        const result = tx
          .update(tokens)
          .set({ state: 'cancelled', cancelledAt: at, cancelledBy: actor })
          .where(and(eq(tokens.jti, jti), eq(tokens.state, 'pending')))
          .run();
        const row = tx.select().from(tokens).where(eq(tokens.jti, jti)).get();
        if (!row) throw new CaError('not_found', 'No such token.');
        if (result.changes !== 1) throw new CaError('conflict', `The token is already ${row.state}; only a pending token can be cancelled.`);
        tx.insert(auditLog).values(auditRow(audit)).run();
        return toToken(row);
      },
      { behavior: 'immediate' },
    ));
  }

  /**
   * Group commit: issuances that arrive in one turn of the event loop are written in
   * one IMMEDIATE transaction, each inside its own savepoint (a refused token rolls back
   * only its own item). Every caller is answered only after that transaction commits —
   * with synchronous=FULL, after the fsync — so nothing a client is told was issued can
   * be lost, and one fsync serves the whole batch.
   */
  recordIssuance(issuance: IssuanceRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ issuance, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    const outcomes: unknown[] = [];
    try {
      this.#commitBatch(batch.map((b) => b.issuance), outcomes);
    } catch (e) {
      // The transaction itself failed (disk full, read-only file, lock timeout): nothing
      // of this batch was written, and every caller hears so.
      const err = storageError(e);
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => (outcomes[i] === undefined ? b.resolve() : b.reject(outcomes[i])));
  }

  #issueOne({ certificate, consumeJti, now, audit }: IssuanceRecord): void {
    // Another process may have disabled the federation since this one last looked.
    const federation = this.#federationStatus.get({ id: certificate.federationId });
    if (federation?.status !== 'active') {
      throw new CaError('federation_disabled', `The request is refused: federation "${federation?.name ?? certificate.federationId}" has been disabled.`);
    }
    if (consumeJti) {
      const expiredBefore = now.getTime() - TOKEN_LEEWAY_SECONDS * 1000;
      const result = this.#consume.run({ jti: consumeJti, now: now.getTime(), serial: certificate.serial, expiredBefore });
      if (result.changes !== 1) throw this.#whyNotConsumed(consumeJti);
    }
    const row = certificateRow(certificate);
    this.#insertCert.run({
      ...row,
      sans: JSON.stringify(row.sans),
      notBefore: row.notBefore.getTime(),
      notAfter: row.notAfter.getTime(),
      createdAt: row.createdAt.getTime(),
      revokedAt: row.revokedAt?.getTime() ?? null,
    });
    this.#insertAudit.run({ ...audit, at: audit.at.getTime(), details: audit.details ? JSON.stringify(audit.details) : null });
  }

  #whyNotConsumed(jti: string): CaError {
    const row = this.#getToken.get({ jti });
    if (!row) return new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it.');
    if (row.state === 'used') return new CaError('token_used', 'The token has already been used: ask your administrator for a new one.');
    if (row.state === 'cancelled') return new CaError('token_cancelled', 'The token has been cancelled by an administrator.');
    return new CaError('token_expired', 'The token has expired.');
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const row = this.db.select().from(certificates).where(eq(certificates.serial, serial)).get();
    return row && toCertificate(row);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    guardWrite(() => this.db.insert(auditLog).values(auditRow(entry)).run());
  }
}
