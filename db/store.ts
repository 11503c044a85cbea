/**
 * `CaStore` on SQLite through drizzle. Writes that belong together run in one
 * `BEGIN IMMEDIATE` transaction (better-sqlite3 transactions are synchronous, so no
 * other statement of this process interleaves, and other processes wait on the lock).
 * The statements on the signing path are prepared once.
 */

import type { Statement } from 'better-sqlite3';
import { and, asc, eq, gt, isNull, lt, lte, max, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { CaError, isCaError } from '../lib/ca/errors';
import { KEY_COMPROMISE, alreadyRevoked, keyCompromisedError, sameKeyRevocation } from '../lib/ca/revoke';
import type { AuditEntry } from '../lib/ca/audit';
import type { CaStore, IssuanceRecord, Revoked } from '../lib/ca/store';
import type {
  CaKeyRecord,
  CertificateRecord,
  CrlRecord,
  ExpiringCertificate,
  ExpiryNotice,
  FederationRecord,
  NodeRole,
  RevocationRecord,
  RevokedEntry,
  TokenRecord,
} from '../lib/ca/types';
import type { KeySpec } from '../lib/pki/keys';
import { TOKEN_LEEWAY_SECONDS, tokenStateError } from '../lib/ca/token';
import type { Db } from './client';
import { guardWrite, storageError } from './errors';
import { backfillKeyHashes, certificateKeySha256 } from './key-hashes';
import { getSetting, setSetting } from './settings';

/** Set once every certificate row has its key_sha256. */
const KEY_HASHES_FILLED = 'key_hashes_filled';
import {
  auditLog,
  caKeys,
  certificates,
  compromisedKeys,
  crlCounters,
  crls,
  federations,
  revocations,
  tokens,
  usedOnce,
  webhookDeliveries,
  type CaKeyRow,
  type CertificateRow,
  type FederationRow,
  type TokenRow,
} from './schema';

export const toFederation = (r: FederationRow): FederationRecord => ({ ...r, keySpec: r.keySpec as KeySpec });

const toCaKey = (r: CaKeyRow): CaKeyRecord => ({
  ...r,
  purpose: r.purpose,
  keySpec: r.keySpec as KeySpec,
  certificate: r.certificate ? new Uint8Array(r.certificate) : null,
});

export const toToken = (r: TokenRow): TokenRecord => ({ ...r, role: r.role as NodeRole, binding: r.binding ? new Uint8Array(r.binding) : null });

export const toCertificate = (r: CertificateRow): CertificateRecord => {
  const { commonNameLower: _lower, ...rest } = r;
  return { ...rest, role: r.role as NodeRole, der: new Uint8Array(r.der) };
};


const auditRow = (e: AuditEntry) => ({ ...e });


/** A tokens row as the raw driver returns it, under the record's field names. */
interface RawToken {
  jti: string;
  federationId: string;
  kind: TokenRecord['kind'];
  subject: string;
  sans: string;
  role: string;
  certSeconds: number;
  notBefore: number;
  expiresAt: number;
  createdAt: number;
  createdBy: string;
  state: TokenRecord['state'];
  usedAt: number | null;
  certSerial: string | null;
  cancelledAt: number | null;
  cancelledBy: string | null;
  binding: Buffer | null;
}

const TOKEN_COLUMNS =
  'jti, federation_id as federationId, kind, subject, sans, role, cert_seconds as certSeconds, not_before as notBefore, expires_at as expiresAt, ' +
  'created_at as createdAt, created_by as createdBy, state, used_at as usedAt, cert_serial as certSerial, cancelled_at as cancelledAt, cancelled_by as cancelledBy, binding';

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

const fromRawToken = (r: RawToken): TokenRecord => ({
  ...r,
  sans: JSON.parse(r.sans) as string[],
  role: r.role as NodeRole,
  notBefore: new Date(r.notBefore),
  expiresAt: new Date(r.expiresAt),
  createdAt: new Date(r.createdAt),
  usedAt: dateOrNull(r.usedAt),
  cancelledAt: dateOrNull(r.cancelledAt),
  binding: r.binding ? new Uint8Array(r.binding) : null,
});

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT');
}

/** An item of a group commit failed in a way only a savepoint confines (see the fast path below). */
class ItemFailed extends Error {
  constructor(cause: unknown) {
    super('An issuance failed part-way through a group commit.', { cause });
  }
}

export class SqliteCaStore implements CaStore {
  readonly db: Db;
  readonly #consume: Statement<[number, string, string, number]>;
  readonly #getToken: Statement<[string], RawToken>;
  readonly #insertCert: Statement<unknown[]>;
  readonly #insertAudit: Statement<unknown[]>;
  readonly #federationStatus: Statement<[string], { status: string; name: string }>;
  readonly #keyCompromised: Statement<[string], { one: number }>;
  readonly #commitBatch: (items: IssuanceRecord[], outcomes: unknown[]) => void;
  #pending: { issuance: IssuanceRecord; resolve: () => void; reject: (e: unknown) => void }[] = [];
  readonly #listRevoked;
  readonly #getCertificate;

  constructor(db: Db) {
    this.db = db;
    // The signing path runs on the driver's own prepared statements: drizzle's prepared
    // queries re-map every parameter and row per call, which measured ~40 µs of the
    // ~110 µs an issuance's writes cost. The SQL below is the schema's, column for column
    // (db/store.test.ts holds it to drizzle: certificates and tokens read back unchanged).
    const client = db.$client;
    this.#consume = client.prepare(
      "update tokens set state = 'used', used_at = ?, cert_serial = ? where jti = ? and state = 'pending' and expires_at > ?",
    );
    this.#getToken = client.prepare<[string], RawToken>(`select ${TOKEN_COLUMNS} from tokens where jti = ?`);
    // OCSP looks a certificate up on every request.
    this.#getCertificate = db.select().from(certificates).where(eq(certificates.serial, sql.placeholder('serial'))).prepare();
    this.#listRevoked = client.prepare('select serial, revoked_at, reason_code, expires_at from revocations where federation_id = ? and expires_at > ?');
    this.#federationStatus = client.prepare<[string], { status: string; name: string }>('select status, name from federations where id = ?');
    this.#insertCert = client.prepare(
      'insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der, fingerprint, source, token_jti, renewed_from, issued_by, created_at, status, revoked_at, revocation_reason, key_sha256) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#keyCompromised = client.prepare<[string], { one: number }>('select 1 as one from compromised_keys where key_sha256 = ?');
    this.#insertAudit = client.prepare('insert into audit_log (at, action, actor, source_ip, federation_id, target, outcome, details) values (?, ?, ?, ?, ?, ?, ?, ?)');
    // Fast path: no savepoints. An item's checks (federation active, token consumable)
    // fail before it has written anything, so its refusal is noted and the batch goes
    // on. A failure after an item's first write — a broken invariant such as a duplicate
    // serial, or storage trouble — throws the whole transaction back, and the batch is
    // redone with a savepoint per item, so that only the failing item is lost. SQLite
    // journals every page an open savepoint touches: savepoints cost ~55 µs of the
    // ~180 µs an issuance's writes take in groups of four (measured), so they are kept
    // for that rare redo.
    const fast = client.transaction((items: IssuanceRecord[], outcomes: unknown[]) => {
      items.forEach((item, i) => {
        try {
          this.#claim(item);
        } catch (e) {
          // A refusal has written nothing; anything else (a failed statement) is redone.
          if (!isCaError(e)) throw new ItemFailed(e);
          outcomes[i] = e;
          return;
        }
        try {
          this.#write(item);
        } catch (e) {
          throw new ItemFailed(e);
        }
        outcomes[i] = undefined;
      });
    });
    const one = client.transaction((item: IssuanceRecord) => {
      this.#claim(item);
      this.#write(item);
    });
    const careful = client.transaction((items: IssuanceRecord[], outcomes: unknown[]) => {
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
    this.#commitBatch = (items, outcomes) => {
      try {
        fast.immediate(items, outcomes);
      } catch (e) {
        // The transaction itself failing (lock timeout, disk) is the caller's to hear.
        if (!(e instanceof ItemFailed)) throw e;
        // Rolled back whole, so nothing of this batch is written: redo it item by item.
        outcomes.length = 0;
        careful.immediate(items, outcomes);
      }
    };
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
        tx.insert(tokens).values({ ...token, binding: token.binding && Buffer.from(token.binding) }).run();
        tx.insert(auditLog).values(auditRow(audit)).run();
      },
      { behavior: 'immediate' },
    ));
  }

  async getToken(jti: string): Promise<TokenRecord | undefined> {
    const row = this.#getToken.get(jti);
    return row && fromRawToken(row);
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
   * one IMMEDIATE transaction. A refused item (token no longer pending, federation
   * disabled) writes nothing and the rest go on; any other failure redoes the batch with
   * a savepoint per item, so only that item is lost (see the constructor). Every caller
   * is answered only after that transaction commits — with synchronous=FULL, after the
   * fsync — so nothing a client is told was issued can be lost, and one fsync serves the
   * whole batch.
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

  /** The checks and the token's consumption; a refusal throws before anything is written. */
  #claim({ certificate: c, consumeJti, now }: IssuanceRecord): void {
    // Another process may have disabled the federation since this one last looked.
    const federation = this.#federationStatus.get(c.federationId);
    if (federation?.status !== 'active') {
      throw new CaError('federation_disabled', `The request is refused: federation "${federation?.name ?? c.federationId}" has been disabled.`);
    }
    // Before the token is spent: the node may enroll again with it and a new key.
    if (c.keySha256 && this.#keyCompromised.get(c.keySha256)) throw keyCompromisedError();
    if (consumeJti) {
      const expiredBefore = now.getTime() - TOKEN_LEEWAY_SECONDS * 1000;
      const result = this.#consume.run(now.getTime(), c.serial, consumeJti, expiredBefore);
      if (result.changes !== 1) throw this.#whyNotConsumed(consumeJti);
    }
  }

  #write({ certificate: c, audit: a }: IssuanceRecord): void {
    this.#insertCert.run(
      c.serial,
      c.federationId,
      c.commonName,
      c.commonName.toLowerCase(),
      JSON.stringify(c.sans),
      c.role,
      c.keyDescription,
      c.notBefore.getTime(),
      c.notAfter.getTime(),
      Buffer.from(c.der.buffer, c.der.byteOffset, c.der.byteLength),
      c.fingerprint,
      c.source,
      c.tokenJti,
      c.renewedFrom,
      c.issuedBy,
      c.createdAt.getTime(),
      c.status,
      c.revokedAt?.getTime() ?? null,
      c.revocationReason,
      c.keySha256,
    );
    this.#insertAudit.run(a.at.getTime(), a.action, a.actor, a.sourceIp ?? null, a.federationId ?? null, a.target ?? null, a.outcome, a.details ? JSON.stringify(a.details) : null);
  }

  #whyNotConsumed(jti: string): CaError {
    return tokenStateError(this.#getToken.get(jti)?.state);
  }

  /**
   * Hashes the keys of certificates stored before key_sha256 existed (see
   * db/key-hashes.ts), once: a setting records that it is done, since finding the rows
   * without one takes a scan (the column has no index).
   */
  async fillKeyHashes(): Promise<number> {
    if (getSetting(this.db, KEY_HASHES_FILLED)) return 0;
    // An empty database stays empty (an import needs it so); its rows will carry their hash.
    if (!this.db.$client.prepare('select 1 from certificates limit 1').get()) return 0;
    const filled = await backfillKeyHashes(
      async (limit) =>
        this.db.select({ serial: certificates.serial, der: certificates.der }).from(certificates).where(isNull(certificates.keySha256)).limit(limit).all(),
      async (rows) =>
        guardWrite(() =>
          this.db.transaction((tx) => {
            for (const r of rows) tx.update(certificates).set({ keySha256: r.keySha256 }).where(eq(certificates.serial, r.serial)).run();
          }),
        ),
    );
    guardWrite(() => setSetting(this.db, KEY_HASHES_FILLED, true));
    return filled;
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const row = this.#getCertificate.get({ serial });
    return row && toCertificate(row);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    guardWrite(() => this.db.insert(auditLog).values(auditRow(entry)).run());
  }

  // ------------------------------------------------------------ lifecycle

  async markRevoked(r: RevocationRecord, audit: AuditEntry, consumeJti?: string): Promise<Revoked> {
    // keyCompromise: the certificates with that key are found by a scan (key_sha256 has
    // no index, see db/schema.ts), read from a snapshot before the write lock is taken
    // so that issuance goes on meanwhile; the transaction then looks again only at rows
    // inserted since (rowid above the snapshot's largest).
    const sameKey = r.reasonCode === KEY_COMPROMISE ? this.#sameKeySnapshot(r.serial) : undefined;
    return guardWrite(() =>
      this.db.transaction(
      (tx) => {
        if (consumeJti) {
          const consumed = tx
            .update(tokens)
            .set({ state: 'used', usedAt: r.revokedAt, certSerial: r.serial })
            .where(
              and(
                eq(tokens.jti, consumeJti),
                eq(tokens.state, 'pending'),
                eq(tokens.kind, 'revoke'),
                gt(tokens.expiresAt, new Date(r.revokedAt.getTime() - TOKEN_LEEWAY_SECONDS * 1000)),
              ),
            )
            .run();
          if (consumed.changes !== 1) throw this.#whyNotConsumed(consumeJti);
        }
        const updated = tx
          .update(certificates)
          .set({ status: 'revoked', revokedAt: r.revokedAt, revocationReason: r.reasonCode })
          .where(and(eq(certificates.serial, r.serial), eq(certificates.status, 'valid')))
          .run();
        const row = tx.select().from(certificates).where(eq(certificates.serial, r.serial)).get();
        if (!row) throw new CaError('not_found', `No certificate with serial ${r.serial} was issued by this certificate authority.`);
        if (updated.changes !== 1) throw alreadyRevoked(row);
        tx.insert(revocations).values(r).run();
        tx.insert(auditLog).values(auditRow(audit)).run();
        const alsoRevoked: CertificateRecord[] = [];
        if (sameKey) {
          tx.insert(compromisedKeys).values({ keySha256: sameKey.key, serial: r.serial, federationId: r.federationId, reportedAt: r.revokedAt, actor: r.actor }).onConflictDoNothing().run();
          const since = this.db.$client
            .prepare<[number, string], { serial: string }>('select serial from certificates where rowid > ? and key_sha256 = ?')
            .all(sameKey.maxRowid, sameKey.key)
            .map((x) => x.serial);
          for (const serial of new Set([...sameKey.serials, ...since])) {
            if (serial === r.serial) continue;
            // Conditional: one revoked meanwhile keeps its own revocation.
            const other = tx
              .update(certificates)
              .set({ status: 'revoked', revokedAt: r.revokedAt, revocationReason: KEY_COMPROMISE })
              .where(and(eq(certificates.serial, serial), eq(certificates.status, 'valid')))
              .returning()
              .get();
            if (!other) continue;
            const same = sameKeyRevocation(r, audit, other);
            tx.insert(revocations).values(same.revocation).run();
            tx.insert(auditLog).values(auditRow(same.audit)).run();
            alsoRevoked.push(toCertificate(other));
          }
        }
        return { certificate: toCertificate(row), alsoRevoked };
      },
      { behavior: 'immediate' },
    ));
  }

  /** The revoked certificate's key, and the valid certificates with it, as of one read snapshot. */
  #sameKeySnapshot(serial: string): { key: string; serials: string[]; maxRowid: number } | undefined {
    const client = this.db.$client;
    return client.transaction(() => {
      const row = client.prepare<[string], { der: Buffer; key: string | null }>('select der, key_sha256 as key from certificates where serial = ?').get(serial);
      if (!row) return undefined; // markRevoked's own lookup says not_found
      const key = row.key ?? certificateKeySha256(row.der);
      const maxRowid = client.prepare<[], { m: number | null }>('select max(rowid) as m from certificates').get()?.m ?? 0;
      const serials = client
        .prepare<[string], { serial: string }>("select serial from certificates where key_sha256 = ? and status = 'valid'")
        .all(key)
        .map((x) => x.serial);
      return { key, serials, maxRowid };
    })();
  }

  async listRevoked(federationId: string, o: { expiresAfter: Date }): Promise<RevokedEntry[]> {
    // Raw rows: a CRL may list 100,000 entries, and drizzle's per-row mapping costs ~3× this.
    const rows = this.#listRevoked.raw(true).all(federationId, o.expiresAfter.getTime()) as [string, number, number, number][];
    return rows.map(([serial, revokedAt, reasonCode, expiresAt]) => ({ serial, revokedAt: new Date(revokedAt), reasonCode, expiresAt: new Date(expiresAt) }));
  }

  async latestRevocationAt(federationId: string): Promise<Date | undefined> {
    const row = this.db.select({ at: max(revocations.revokedAt) }).from(revocations).where(eq(revocations.federationId, federationId)).get();
    return row?.at ?? undefined;
  }

  async nextCrlNumber(federationId: string): Promise<number> {
    return guardWrite(() =>
      this.db.transaction(
      (tx) => {
        const published = tx.select({ n: crls.number }).from(crls).where(eq(crls.federationId, federationId)).get()?.n ?? 0;
        const last = tx.select({ n: crlCounters.lastNumber }).from(crlCounters).where(eq(crlCounters.federationId, federationId)).get()?.n ?? 0;
        const next = Math.max(published, last) + 1;
        tx.insert(crlCounters).values({ federationId, lastNumber: next }).onConflictDoUpdate({ target: crlCounters.federationId, set: { lastNumber: next } }).run();
        return next;
      },
      { behavior: 'immediate' },
    ));
  }

  async saveCrl(crl: CrlRecord, audit: AuditEntry): Promise<boolean> {
    const row = { ...crl, der: Buffer.from(crl.der.buffer, crl.der.byteOffset, crl.der.byteLength) };
    return guardWrite(() =>
      this.db.transaction(
      (tx) => {
        const current = tx.select({ n: crls.number }).from(crls).where(eq(crls.federationId, crl.federationId)).get();
        if (current && current.n >= crl.number) return false;
        const { federationId: _id, ...rest } = row;
        tx.insert(crls).values(row).onConflictDoUpdate({ target: crls.federationId, set: rest }).run();
        tx.insert(auditLog).values(auditRow(audit)).run();
        return true;
      },
      { behavior: 'immediate' },
    ));
  }

  async getCrl(federationId: string, newerThan?: number): Promise<CrlRecord | undefined> {
    const where = newerThan === undefined ? eq(crls.federationId, federationId) : and(eq(crls.federationId, federationId), gt(crls.number, newerThan));
    const row = this.db.select().from(crls).where(where).get();
    return row && { ...row, der: new Uint8Array(row.der) };
  }

  async useOnce(id: string, purpose: string, expiresAt: Date, now: Date): Promise<void> {
    const result = guardWrite(() => this.db.insert(usedOnce).values({ id, purpose, usedAt: now, expiresAt }).onConflictDoNothing().run());
    if (result.changes !== 1) throw new CaError('token_used', 'The renewal token has already been used: make a new one.');
  }

  async purgeUsedOnce(before: Date): Promise<number> {
    return guardWrite(() => this.db.delete(usedOnce).where(lt(usedOnce.expiresAt, before)).run().changes);
  }

  async findExpiryNoticesDue(o: { threshold: number; from: Date; until: Date; limit: number }): Promise<ExpiringCertificate[]> {
    const renewal = alias(certificates, 'renewal');
    const rows = this.db
      .select({
        serial: certificates.serial,
        federationId: certificates.federationId,
        commonName: certificates.commonName,
        sans: certificates.sans,
        role: certificates.role,
        notAfter: certificates.notAfter,
      })
      .from(certificates)
      .where(
        and(
          eq(certificates.status, 'valid'),
          gt(certificates.notAfter, o.from),
          lte(certificates.notAfter, o.until),
          notExists(
            this.db
              .select({ one: sql`1` })
              .from(webhookDeliveries)
              .where(and(eq(webhookDeliveries.serial, certificates.serial), lte(webhookDeliveries.threshold, o.threshold))),
          ),
          notExists(this.db.select({ one: sql`1` }).from(renewal).where(eq(renewal.renewedFrom, certificates.serial))),
        ),
      )
      .orderBy(asc(certificates.notAfter))
      .limit(o.limit)
      .all();
    return rows.map((r) => ({ ...r, role: r.role as NodeRole }));
  }

  async enqueueExpiryNotice(serial: string, threshold: number, now: Date): Promise<void> {
    guardWrite(() => this.db.insert(webhookDeliveries).values({ serial, threshold, state: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now }).onConflictDoNothing().run());
  }

  async claimExpiryNotices(o: { now: Date; limit: number; leaseUntil: Date }): Promise<ExpiryNotice[]> {
    return guardWrite(() =>
      this.db.transaction(
      (tx) => {
        const rows = tx
          .select({
            serial: webhookDeliveries.serial,
            threshold: webhookDeliveries.threshold,
            attempts: webhookDeliveries.attempts,
            federationId: certificates.federationId,
            commonName: certificates.commonName,
            sans: certificates.sans,
            role: certificates.role,
            notAfter: certificates.notAfter,
          })
          .from(webhookDeliveries)
          .innerJoin(certificates, eq(certificates.serial, webhookDeliveries.serial))
          .where(and(eq(webhookDeliveries.state, 'pending'), lte(webhookDeliveries.nextAttemptAt, o.now)))
          .orderBy(asc(webhookDeliveries.nextAttemptAt))
          .limit(o.limit)
          .all();
        for (const r of rows) {
          tx.update(webhookDeliveries)
            .set({ nextAttemptAt: o.leaseUntil })
            .where(and(eq(webhookDeliveries.serial, r.serial), eq(webhookDeliveries.threshold, r.threshold)))
            .run();
        }
        return rows.map((r) => ({
          serial: r.serial,
          threshold: r.threshold,
          attempts: r.attempts,
          certificate: { serial: r.serial, federationId: r.federationId, commonName: r.commonName, sans: r.sans, role: r.role as NodeRole, notAfter: r.notAfter },
        }));
      },
      { behavior: 'immediate' },
    ));
  }

  async finishExpiryNotice(o: {
    serial: string;
    threshold: number;
    state: 'pending' | 'delivered' | 'failed';
    attempts: number;
    nextAttemptAt: Date;
    lastError: string | null;
    audit?: AuditEntry;
  }): Promise<void> {
    guardWrite(() =>
      this.db.transaction(
      (tx) => {
        tx.update(webhookDeliveries)
          .set({ state: o.state, attempts: o.attempts, nextAttemptAt: o.nextAttemptAt, lastError: o.lastError })
          .where(and(eq(webhookDeliveries.serial, o.serial), eq(webhookDeliveries.threshold, o.threshold)))
          .run();
        if (o.audit) tx.insert(auditLog).values(auditRow(o.audit)).run();
      },
      { behavior: 'immediate' },
    ));
  }
}
