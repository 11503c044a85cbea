/**
 * `CaStore` on PostgreSQL through drizzle and node-postgres, for several FedPKI
 * instances sharing one database. Writes that belong together run in one transaction
 * at PostgreSQL's default isolation, READ COMMITTED, which is enough because every
 * cross-instance race is settled by a row lock or a constraint, never by a read:
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
 * - The audit log: a trigger in the committed migrations refuses UPDATE, DELETE and
 *   TRUNCATE.
 */

import { and, eq, gt } from 'drizzle-orm';
import { CaError } from '../../lib/ca/errors';
import type { AuditEntry } from '../../lib/ca/audit';
import type { CaStore, IssuanceRecord } from '../../lib/ca/store';
import type { CaKeyRecord, CertificateRecord, FederationRecord, NodeRole, TokenRecord } from '../../lib/ca/types';
import type { KeySpec } from '../../lib/pki/keys';
import { TOKEN_LEEWAY_SECONDS } from '../../lib/ca/token';
import { isPgUniqueViolation, type PgDb } from './client';
import { auditLog, caKeys, certificates, federations, tokens, type CaKeyRow, type CertificateRow, type FederationRow, type TokenRow } from './schema';

const toFederation = (r: FederationRow): FederationRecord => ({ ...r, keySpec: r.keySpec as KeySpec });

const toCaKey = (r: CaKeyRow): CaKeyRecord => ({
  ...r,
  keySpec: r.keySpec as KeySpec,
  certificate: r.certificate ? new Uint8Array(r.certificate) : null,
});

const toToken = (r: TokenRow): TokenRecord => ({ ...r, role: r.role as NodeRole });

export const toCertificate = (r: CertificateRow): CertificateRecord => {
  const { commonNameLower: _lower, ...rest } = r;
  return { ...rest, role: r.role as NodeRole, der: new Uint8Array(r.der) };
};

const buffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

const certificateRow = (c: CertificateRecord) => ({ ...c, commonNameLower: c.commonName.toLowerCase(), der: buffer(c.der) });

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export class PgCaStore implements CaStore {
  readonly db: PgDb;

  constructor(db: PgDb) {
    this.db = db;
  }

  async listFederations(): Promise<FederationRecord[]> {
    return (await this.db.select().from(federations).orderBy(federations.createdAt)).map(toFederation);
  }

  async getFederation(id: string): Promise<FederationRecord | undefined> {
    const [row] = await this.db.select().from(federations).where(eq(federations.id, id));
    return row && toFederation(row);
  }

  async listCaKeys(federationId: string): Promise<CaKeyRecord[]> {
    return (await this.db.select().from(caKeys).where(eq(caKeys.federationId, federationId))).map(toCaKey);
  }

  async createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.insert(federations).values(federation);
        if (keys.length) await tx.insert(caKeys).values(keys.map((k) => ({ ...k, certificate: k.certificate ? buffer(k.certificate) : null })));
        await tx.insert(auditLog).values(audit);
      });
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
    await this.db.transaction(async (tx) => {
      await tx.update(federations).set(rest).where(eq(federations.id, id));
      await tx.insert(auditLog).values(audit);
    });
  }

  async insertToken(token: TokenRecord, audit: AuditEntry): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(tokens).values(token);
      await tx.insert(auditLog).values(audit);
    });
  }

  async getToken(jti: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.select().from(tokens).where(eq(tokens.jti, jti));
    return row && toToken(row);
  }

  async cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry): Promise<TokenRecord> {
    return this.db.transaction(async (tx) => {
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
    });
  }

  async recordIssuance({ certificate, consumeJti, now, audit }: IssuanceRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [federation] = await tx
        .select({ status: federations.status, name: federations.name })
        .from(federations)
        .where(eq(federations.id, certificate.federationId))
        .for('share');
      if (federation?.status !== 'active') {
        throw new CaError('federation_disabled', `The request is refused: federation "${federation?.name ?? certificate.federationId}" has been disabled.`);
      }
      if (consumeJti) {
        const expiredBefore = new Date(now.getTime() - TOKEN_LEEWAY_SECONDS * 1000);
        const consumed = await tx
          .update(tokens)
          .set({ state: 'used', usedAt: now, certSerial: certificate.serial })
          .where(and(eq(tokens.jti, consumeJti), eq(tokens.state, 'pending'), gt(tokens.expiresAt, expiredBefore)))
          .returning({ jti: tokens.jti });
        if (consumed.length !== 1) throw await this.#whyNotConsumed(tx, consumeJti);
      }
      await tx.insert(certificates).values(certificateRow(certificate));
      await tx.insert(auditLog).values(audit);
    });
  }

  async #whyNotConsumed(tx: Tx, jti: string): Promise<CaError> {
    const [row] = await tx.select({ state: tokens.state }).from(tokens).where(eq(tokens.jti, jti));
    if (!row) return new CaError('token_unknown', 'The token is refused: this certificate authority has no record of it.');
    if (row.state === 'used') return new CaError('token_used', 'The token has already been used: ask your administrator for a new one.');
    if (row.state === 'cancelled') return new CaError('token_cancelled', 'The token has been cancelled by an administrator.');
    return new CaError('token_expired', 'The token has expired.');
  }

  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const [row] = await this.db.select().from(certificates).where(eq(certificates.serial, serial));
    return row && toCertificate(row);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.db.insert(auditLog).values(entry);
  }
}
