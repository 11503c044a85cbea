/**
 * `CaStore` on PostgreSQL through drizzle and node-postgres, for several FedPKI
 * instances sharing one database. Writes that belong together run in one transaction
 * (issuance, the hot path, in one statement: one round trip) at PostgreSQL's default
 * isolation, READ COMMITTED, which is enough because every cross-instance race is
 * settled by a row lock or a constraint, never by a read:
 *
 * - Token single use: `UPDATE tokens SET state = 'used' … WHERE jti = $1 AND state =
 *   'pending'`. A second UPDATE of the same row waits for the first transaction's row
 *   lock; when that commits, PostgreSQL re-evaluates the WHERE clause against the
 *   committed row (READ COMMITTED's "EvalPlanQual" re-check), finds state = 'used' and
 *   updates nothing. If the first rolls back, the second goes ahead. So of concurrent
 *   submissions of one token on any number of instances, exactly one consumes it.
 * - Serial uniqueness: the primary key.
 * - A federation disabled by another instance: the issuing transaction reads the
 *   federation row `FOR SHARE`, so it waits for a concurrent disable to commit and then
 *   sees it, and a disable waits for issuances already past that point.
 * - Revocation: `UPDATE certificates SET status = 'revoked' … WHERE status = 'valid'`
 *   (the same re-check: of two instances revoking one certificate, the second is told
 *   it is already revoked), with the revoke token consumed in the same transaction.
 * - CRL numbers: one `INSERT … ON CONFLICT DO UPDATE … RETURNING` on `crl_counters`
 *   takes the row lock and returns a number above every one handed out before, on any
 *   instance; a CRL is stored only over one with a lower number.
 * - Renewal tokens: `INSERT … ON CONFLICT DO NOTHING RETURNING` into `used_once`.
 * - Expiry notices: claimed `FOR UPDATE SKIP LOCKED` and leased, so two instances
 *   never send the same notice at once and neither waits for the other.
 * - The audit log: a trigger in the committed migrations refuses UPDATE, DELETE and
 *   TRUNCATE.
 *
 * Every method goes through `guardPg`: a database that is down, unreachable, full or
 * read-only is CaError `unavailable` (503) with a plain message (./errors.ts).
 */

import { and, asc, eq, gt, isNull, lt, lte, max, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { CaError } from '../../lib/ca/errors';
import { KEY_COMPROMISE, alreadyRevoked, keyCompromisedError, sameKeyRevocation } from '../../lib/ca/revoke';
import type { AuditEntry } from '../../lib/ca/audit';
import type { CaStore, IssuanceRecord, Revoked } from '../../lib/ca/store';
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
} from '../../lib/ca/types';
import type { KeySpec } from '../../lib/pki/keys';
import { TOKEN_LEEWAY_SECONDS, tokenStateError } from '../../lib/ca/token';
import { isPgUniqueViolation, type PgDb } from './client';
import { guardPg } from './errors';
import { backfillKeyHashes, certificateKeySha256 } from '../key-hashes';
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

const toFederation = (r: FederationRow): FederationRecord => ({ ...r, keySpec: r.keySpec as KeySpec });

const toCaKey = (r: CaKeyRow): CaKeyRecord => ({
  ...r,
  keySpec: r.keySpec as KeySpec,
  certificate: r.certificate ? new Uint8Array(r.certificate) : null,
});

const toToken = (r: TokenRow): TokenRecord => ({ ...r, role: r.role as NodeRole, binding: r.binding ? new Uint8Array(r.binding) : null });

export const toCertificate = (r: CertificateRow): CertificateRecord => {
  const { commonNameLower: _lower, ...rest } = r;
  return { ...rest, role: r.role as NodeRole, der: new Uint8Array(r.der) };
};

const buffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);


type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/**
 * `recordIssuance` as one statement ($1 federation, $2 token or null, $3 now, $4
 * expired-before, then the rows; $31 the key's hash). A compromised key writes nothing
 * and leaves the token pending.
 */
const RECORD_ISSUANCE = `
with fed as (
  select status, name from federations where id = $1 for share
), compromised as (
  select 1 from compromised_keys where key_sha256 = $31::text
), consumed as (
  update tokens set state = 'used', used_at = $3::timestamptz, cert_serial = $5::text
  where $2::text is not null and jti = $2::text and state = 'pending' and expires_at > $4::timestamptz
    and exists (select 1 from fed where status = 'active') and not exists (select 1 from compromised)
  returning jti
), cert as (
  insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der,
    fingerprint, source, token_jti, renewed_from, issued_by, created_at, status, revoked_at, revocation_reason, key_sha256)
  select $5::text, $1::text, $6::text, $7::text, $8::jsonb, $9::text, $10::text, $11::timestamptz, $12::timestamptz, $13::bytea,
    $14::text, $15::text, $16::text, $17::text, $18::text, $19::timestamptz, $20::text, $21::timestamptz, $22::integer, $31::text
  where exists (select 1 from fed where status = 'active') and not exists (select 1 from compromised)
    and ($2::text is null or exists (select 1 from consumed))
  returning serial
), audit as (
  insert into audit_log (at, action, actor, source_ip, federation_id, target, outcome, details)
  select $23::timestamptz, $24::text, $25::text, $26::text, $27::text, $28::text, $29::text, $30::jsonb
  where exists (select 1 from cert)
)
select (select status from fed) as status, (select name from fed) as name, exists (select 1 from cert) as recorded,
  exists (select 1 from compromised) as compromised`;

export class PgCaStore implements CaStore {
  readonly db: PgDb;

  constructor(db: PgDb) {
    this.db = db;
  }

  async listFederations(): Promise<FederationRecord[]> {
    return (await guardPg(this.db.select().from(federations).orderBy(federations.createdAt))).map(toFederation);
  }

  async getFederation(id: string): Promise<FederationRecord | undefined> {
    const [row] = await guardPg(this.db.select().from(federations).where(eq(federations.id, id)));
    return row && toFederation(row);
  }

  async listCaKeys(federationId: string): Promise<CaKeyRecord[]> {
    return (await guardPg(this.db.select().from(caKeys).where(eq(caKeys.federationId, federationId)))).map(toCaKey);
  }

  async createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry): Promise<void> {
    try {
      await guardPg(
        this.db.transaction(async (tx) => {
          await tx.insert(federations).values(federation);
          if (keys.length) await tx.insert(caKeys).values(keys.map((k) => ({ ...k, certificate: k.certificate ? buffer(k.certificate) : null })));
          await tx.insert(auditLog).values(audit);
        }),
      );
    } catch (e) {
      if (isPgUniqueViolation(e)) {
        throw new CaError('conflict', 'A federation with this id, name or CA URL already exists.', {
          cause: e,
          fieldErrors: { name: ['Choose a name, id and CA URL no other federation uses.'] },
        });
      }
      throw e;
    }
  }

  async updateFederation(federation: FederationRecord, audit: AuditEntry): Promise<void> {
    const { id, ...rest } = federation;
    await guardPg(
      this.db.transaction(async (tx) => {
        await tx.update(federations).set(rest).where(eq(federations.id, id));
        await tx.insert(auditLog).values(audit);
      }),
    );
  }

  async insertToken(token: TokenRecord, audit: AuditEntry): Promise<void> {
    await guardPg(
      this.db.transaction(async (tx) => {
        await tx.insert(tokens).values({ ...token, binding: token.binding && buffer(token.binding) });
        await tx.insert(auditLog).values(audit);
      }),
    );
  }

  async getToken(jti: string): Promise<TokenRecord | undefined> {
    const [row] = await guardPg(this.db.select().from(tokens).where(eq(tokens.jti, jti)));
    return row && toToken(row);
  }

  async cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry): Promise<TokenRecord> {
    return guardPg(
      this.db.transaction(async (tx) => {
        const [updated] = await tx
          .update(tokens)
          .set({ state: 'cancelled', cancelledAt: at, cancelledBy: actor })
          .where(and(eq(tokens.jti, jti), eq(tokens.state, 'pending')))
          .returning();
        if (!updated) {
          const [row] = await tx.select().from(tokens).where(eq(tokens.jti, jti));
          if (!row) throw new CaError('not_found', 'No such token.');
          throw new CaError('conflict', `The token is already ${row.state}; only a pending token can be cancelled.`);
        }
        await tx.insert(auditLog).values(audit);
        return toToken(updated);
      }),
    );
  }

  /**
   * One statement, so one round trip: the federation check, the token's conditional
   * UPDATE, the certificate and its audit entry, as data-modifying CTEs that commit
   * together or not at all. The certificate and audit rows are inserted only when the
   * federation is active and (if a token is given) the UPDATE consumed it. The row lock
   * and READ COMMITTED re-check settle races exactly as in a multi-statement
   * transaction (see the top of this file); this is the same logic at a sixth of the
   * round trips, which on PostgreSQL cost more CPU than the rest of an issuance.
   */
  async recordIssuance({ certificate: c, consumeJti, now, audit }: IssuanceRecord): Promise<void> {
    const expiredBefore = new Date(now.getTime() - TOKEN_LEEWAY_SECONDS * 1000);
    const result = await guardPg(
      this.db.$client.query<{ status: string | null; name: string | null; recorded: boolean; compromised: boolean }>(RECORD_ISSUANCE, [
        c.federationId,
        consumeJti ?? null,
        now,
        expiredBefore,
        c.serial,
        c.commonName,
        c.commonName.toLowerCase(),
        JSON.stringify(c.sans),
        c.role,
        c.keyDescription,
        c.notBefore,
        c.notAfter,
        buffer(c.der),
        c.fingerprint,
        c.source,
        c.tokenJti,
        c.renewedFrom,
        c.issuedBy,
        c.createdAt,
        c.status,
        c.revokedAt,
        c.revocationReason,
        audit.at,
        audit.action,
        audit.actor,
        audit.sourceIp,
        audit.federationId,
        audit.target,
        audit.outcome,
        audit.details === null ? null : JSON.stringify(audit.details),
        c.keySha256,
      ]),
    );
    const row = result.rows[0]!;
    if (row.recorded) return;
    if (row.status !== 'active') {
      throw new CaError('federation_disabled', `The request is refused: federation "${row.name ?? c.federationId}" has been disabled.`);
    }
    if (row.compromised) throw keyCompromisedError();
    throw await guardPg(this.#whyNotConsumed(this.db, consumeJti!));
  }

  async #whyNotConsumed(tx: Tx | PgDb, jti: string): Promise<CaError> {
    const [row] = await tx.select({ state: tokens.state }).from(tokens).where(eq(tokens.jti, jti));
    return tokenStateError(row?.state);
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const [row] = await guardPg(this.db.select().from(certificates).where(eq(certificates.serial, serial)));
    return row && toCertificate(row);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await guardPg(this.db.insert(auditLog).values(entry));
  }

  // ------------------------------------------------------------ lifecycle

  async markRevoked(r: RevocationRecord, audit: AuditEntry, consumeJti?: string): Promise<Revoked> {
    return guardPg(
      this.db.transaction(async (tx) => {
        if (consumeJti) {
          const consumed = await tx
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
            .returning({ jti: tokens.jti });
          if (consumed.length !== 1) throw await this.#whyNotConsumed(tx, consumeJti);
        }
        // Conditional: of two instances revoking one certificate, the second waits for the
        // first's row lock, re-checks `status = 'valid'` on the committed row and updates nothing.
        const [updated] = await tx
          .update(certificates)
          .set({ status: 'revoked', revokedAt: r.revokedAt, revocationReason: r.reasonCode })
          .where(and(eq(certificates.serial, r.serial), eq(certificates.status, 'valid')))
          .returning();
        if (!updated) {
          // Throwing rolls the transaction back, so a revoke token is not spent on a refusal.
          const [row] = await tx.select({ serial: certificates.serial, revokedAt: certificates.revokedAt }).from(certificates).where(eq(certificates.serial, r.serial));
          if (!row) throw new CaError('not_found', `No certificate with serial ${r.serial} was issued by this certificate authority.`);
          throw alreadyRevoked(row);
        }
        await tx.insert(revocations).values(r);
        await tx.insert(auditLog).values(audit);
        const alsoRevoked: CertificateRecord[] = [];
        if (r.reasonCode === KEY_COMPROMISE) {
          const key = updated.keySha256 ?? certificateKeySha256(updated.der);
          await tx.insert(compromisedKeys).values({ keySha256: key, serial: r.serial, federationId: r.federationId, reportedAt: r.revokedAt, actor: r.actor }).onConflictDoNothing();
          // Conditional as above: another instance revoking one of them meanwhile wins it.
          const others = await tx
            .update(certificates)
            .set({ status: 'revoked', revokedAt: r.revokedAt, revocationReason: KEY_COMPROMISE })
            .where(and(eq(certificates.keySha256, key), eq(certificates.status, 'valid')))
            .returning();
          for (const other of others) {
            const same = sameKeyRevocation(r, audit, other);
            await tx.insert(revocations).values(same.revocation);
            await tx.insert(auditLog).values(same.audit);
            alsoRevoked.push(toCertificate(other));
          }
        }
        return { certificate: toCertificate(updated), alsoRevoked };
      }),
    );
  }

  /** Hashes the keys of certificates stored before key_sha256 existed (see db/key-hashes.ts). */
  async fillKeyHashes(): Promise<number> {
    return backfillKeyHashes(
      async (limit) => guardPg(this.db.select({ serial: certificates.serial, der: certificates.der }).from(certificates).where(isNull(certificates.keySha256)).limit(limit)),
      async (rows) => {
        await guardPg(
          this.db.transaction(async (tx) => {
            for (const r of rows) await tx.update(certificates).set({ keySha256: r.keySha256 }).where(eq(certificates.serial, r.serial));
          }),
        );
      },
    );
  }

  async listRevoked(federationId: string, o: { expiresAfter: Date }): Promise<RevokedEntry[]> {
    // Array rows straight from the driver: a CRL may list 100,000 entries, and drizzle's
    // per-row mapping would cost more than the query. node-postgres itself turns
    // timestamptz into Date (drizzle's own queries keep the text and map it).
    const result = await guardPg(
      this.db.$client.query<[string, Date, number, Date]>({
        text: 'select serial, revoked_at, reason_code, expires_at from revocations where federation_id = $1 and expires_at > $2',
        values: [federationId, o.expiresAfter],
        rowMode: 'array',
      }),
    );
    return result.rows.map(([serial, revokedAt, reasonCode, expiresAt]) => ({ serial, revokedAt, reasonCode, expiresAt }));
  }

  async latestRevocationAt(federationId: string): Promise<Date | undefined> {
    const [row] = await guardPg(this.db.select({ at: max(revocations.revokedAt) }).from(revocations).where(eq(revocations.federationId, federationId)));
    return row?.at ?? undefined;
  }

  async nextCrlNumber(federationId: string): Promise<number> {
    // One statement: the insert, or the update of the row another instance inserted, holds
    // the counter row's lock until it commits, and a concurrent caller then updates the
    // committed value. The stored CRL's number counts too (a database imported with a CRL
    // but no counter yet).
    const published = sql`coalesce((select c.number from crls c where c.federation_id = ${federationId}), 0)`;
    const [row] = await guardPg(
      this.db
        .insert(crlCounters)
        .values({ federationId, lastNumber: sql`${published} + 1` })
        .onConflictDoUpdate({ target: crlCounters.federationId, set: { lastNumber: sql`greatest(${crlCounters.lastNumber}, ${published}) + 1` } })
        .returning({ n: crlCounters.lastNumber }),
    );
    return row!.n;
  }

  async saveCrl(crl: CrlRecord, audit: AuditEntry): Promise<boolean> {
    const row = { ...crl, der: buffer(crl.der) };
    return guardPg(
      this.db.transaction(async (tx) => {
        // Replaces the stored CRL only when this one's number is higher; the row lock makes a
        // concurrent save wait and then compare with what was committed.
        const saved = await tx
          .insert(crls)
          .values(row)
          .onConflictDoUpdate({
            target: crls.federationId,
            set: { number: row.number, thisUpdate: row.thisUpdate, nextUpdate: row.nextUpdate, der: row.der },
            setWhere: lt(crls.number, row.number),
          })
          .returning({ n: crls.number });
        if (saved.length !== 1) return false;
        await tx.insert(auditLog).values(audit);
        return true;
      }),
    );
  }

  async getCrl(federationId: string, newerThan?: number): Promise<CrlRecord | undefined> {
    const where = newerThan === undefined ? eq(crls.federationId, federationId) : and(eq(crls.federationId, federationId), gt(crls.number, newerThan));
    const [row] = await guardPg(this.db.select().from(crls).where(where));
    return row && { ...row, der: new Uint8Array(row.der) };
  }

  async useOnce(id: string, purpose: string, expiresAt: Date, now: Date): Promise<void> {
    const inserted = await guardPg(this.db.insert(usedOnce).values({ id, purpose, usedAt: now, expiresAt }).onConflictDoNothing().returning({ id: usedOnce.id }));
    if (inserted.length !== 1) throw new CaError('token_used', 'The renewal token has already been used: make a new one.');
  }

  async purgeUsedOnce(before: Date): Promise<number> {
    const result = await guardPg(this.db.delete(usedOnce).where(lt(usedOnce.expiresAt, before)));
    return result.rowCount ?? 0;
  }

  async findExpiryNoticesDue(o: { threshold: number; from: Date; until: Date; limit: number }): Promise<ExpiringCertificate[]> {
    const renewal = alias(certificates, 'renewal');
    const rows = await guardPg(
      this.db
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
        .limit(o.limit),
    );
    return rows.map((r) => ({ ...r, role: r.role as NodeRole }));
  }

  async enqueueExpiryNotice(serial: string, threshold: number, now: Date): Promise<void> {
    await guardPg(this.db.insert(webhookDeliveries).values({ serial, threshold, state: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now }).onConflictDoNothing());
  }

  async claimExpiryNotices(o: { now: Date; limit: number; leaseUntil: Date }): Promise<ExpiryNotice[]> {
    return guardPg(
      this.db.transaction(async (tx) => {
        // SKIP LOCKED: notices another instance is claiming right now are left to it; this
        // one takes the next ones instead of waiting.
        const rows = await tx
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
          .for('update', { of: webhookDeliveries, skipLocked: true });
        if (rows.length) {
          const keys = sql.join(
            rows.map((r) => sql`(${r.serial}, ${r.threshold}::integer)`),
            sql`, `,
          );
          await tx
            .update(webhookDeliveries)
            .set({ nextAttemptAt: o.leaseUntil })
            .where(sql`(${webhookDeliveries.serial}, ${webhookDeliveries.threshold}) in (${keys})`);
        }
        return rows.map((r) => ({
          serial: r.serial,
          threshold: r.threshold,
          attempts: r.attempts,
          certificate: { serial: r.serial, federationId: r.federationId, commonName: r.commonName, sans: r.sans, role: r.role as NodeRole, notAfter: r.notAfter },
        }));
      }),
    );
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
    await guardPg(
      this.db.transaction(async (tx) => {
        await tx
          .update(webhookDeliveries)
          .set({ state: o.state, attempts: o.attempts, nextAttemptAt: o.nextAttemptAt, lastError: o.lastError })
          .where(and(eq(webhookDeliveries.serial, o.serial), eq(webhookDeliveries.threshold, o.threshold)));
        if (o.audit) await tx.insert(auditLog).values(o.audit);
      }),
    );
  }
}
