/**
 * FedPKI's tables on SQLite (drizzle-orm/sqlite-core). Timestamps are integer
 * milliseconds (`timestamp_ms`); lists are JSON text. Migrations in ./migrations are
 * generated from this file by `npm run db:generate` and committed; ./migrations also
 * holds one hand-written migration that makes the audit log append-only.
 */

import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const ts = (name: string) => integer(name, { mode: 'timestamp_ms' });

// Every index on `certificates`, `tokens` and `audit_log` is written by each issuance;
// the set below is what the portal's lists and the lifecycle need, and no more
// (a random-keyed index costs a WAL page per issuance).

export const federations = sqliteTable('federations', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  caUrl: text('ca_url').notNull().unique(),
  keySpec: text('key_spec').notNull(),
  status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
  publicUrl: text('public_url'),
  defaultCertSeconds: integer('default_cert_seconds').notNull(),
  allowRenewAfterExpiry: integer('allow_renew_after_expiry', { mode: 'boolean' }).notNull().default(false),
  provisionerName: text('provisioner_name').notNull(),
  provisionerKid: text('provisioner_kid').notNull().unique(),
  rootFingerprint: text('root_fingerprint').notNull(),
  createdAt: ts('created_at').notNull(),
  createdBy: text('created_by').notNull(),
});

export const caKeys = sqliteTable(
  'ca_keys',
  {
    id: text('id').primaryKey(),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    purpose: text('purpose', { enum: ['root', 'intermediate', 'provisioner'] }).notNull(),
    keySpec: text('key_spec').notNull(),
    encryptedKey: text('encrypted_key').notNull(),
    certificate: blob('certificate', { mode: 'buffer' }),
    publicJwk: text('public_jwk'),
    fingerprint: text('fingerprint'),
    notAfter: ts('not_after'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('ca_keys_federation_idx').on(t.federationId, t.purpose)],
);

export const tokens = sqliteTable(
  'tokens',
  {
    jti: text('jti').primaryKey(),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    kind: text('kind', { enum: ['sign', 'revoke'] }).notNull().default('sign'),
    subject: text('subject').notNull(),
    sans: text('sans', { mode: 'json' }).$type<string[]>().notNull(),
    role: text('role').notNull(),
    certSeconds: integer('cert_seconds').notNull(),
    notBefore: ts('not_before').notNull(),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    state: text('state', { enum: ['pending', 'used', 'cancelled'] }).notNull().default('pending'),
    usedAt: ts('used_at'),
    certSerial: text('cert_serial'),
    cancelledAt: ts('cancelled_at'),
    cancelledBy: text('cancelled_by'),
    /** HMAC of the token's bytes (lib/ca/token-binding.ts); null for tokens minted before it. */
    binding: blob('binding', { mode: 'buffer' }),
  },
  (t) => [index('tokens_federation_created_idx').on(t.federationId, t.createdAt)],
);

export const certificates = sqliteTable(
  'certificates',
  {
    serial: text('serial').primaryKey(),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    commonName: text('common_name').notNull(),
    /** lower(common_name), for case-insensitive prefix search through an index. */
    commonNameLower: text('common_name_lower').notNull(),
    sans: text('sans', { mode: 'json' }).$type<string[]>().notNull(),
    role: text('role').notNull(),
    keyDescription: text('key_description').notNull(),
    notBefore: ts('not_before').notNull(),
    notAfter: ts('not_after').notNull(),
    der: blob('der', { mode: 'buffer' }).notNull(),
    fingerprint: text('fingerprint').notNull(),
    source: text('source', { enum: ['token', 'csr', 'renew', 'rekey'] }).notNull(),
    tokenJti: text('token_jti'),
    renewedFrom: text('renewed_from'),
    issuedBy: text('issued_by').notNull(),
    createdAt: ts('created_at').notNull(),
    status: text('status', { enum: ['valid', 'revoked'] }).notNull().default('valid'),
    revokedAt: ts('revoked_at'),
    revocationReason: integer('revocation_reason'),
    /**
     * SHA-256 of the certificate's SubjectPublicKeyInfo, hex: the key a keyCompromise
     * revocation reaches in every certificate that carries it. Null only for rows
     * written before it existed, until the start-up backfill (db/key-hashes.ts).
     */
    keySha256: text('key_sha256'),
  },
  (t) => [
    index('certs_federation_created_idx').on(t.federationId, t.createdAt),
    index('certs_federation_not_after_idx').on(t.federationId, t.notAfter),
    index('certs_created_idx').on(t.createdAt),
    index('certs_not_after_idx').on(t.notAfter),
    index('certs_cn_idx').on(t.commonNameLower, t.createdAt),
    // Partial: only renewed certificates have one, so issuance does not pay for it.
    index('certs_renewed_from_idx').on(t.renewedFrom).where(sql`${t.renewedFrom} is not null`),
    // Covers the dashboard's "nodes enrolled" (distinct names per federation): ~7x faster at 100k rows.
    index('certs_status_federation_cn_idx').on(t.status, t.federationId, t.commonName, t.notAfter),
    // No index on key_sha256: keyed by a hash, every issuance would write to a random
    // page of it (measured: ~5 % more CPU per certificate and a p99 over 40 ms at
    // concurrency 16). The rare keyCompromise revocation scans instead (db/store.ts).
  ],
);

export const revocations = sqliteTable(
  'revocations',
  {
    serial: text('serial')
      .primaryKey()
      .references(() => certificates.serial),
    federationId: text('federation_id')
      .notNull()
      .references(() => federations.id),
    reasonCode: integer('reason_code').notNull(),
    reason: text('reason'),
    revokedAt: ts('revoked_at').notNull(),
    /** The certificate's notAfter: once past, the entry may leave the CRL. */
    expiresAt: ts('expires_at').notNull(),
    actor: text('actor').notNull(),
    via: text('via').notNull(),
  },
  (t) => [index('revocations_federation_idx').on(t.federationId, t.expiresAt)],
);

/**
 * Keys reported compromised (a certificate revoked for keyCompromise): no certificate
 * is issued for one again, in any federation (CA/B Forum BR 6.1.1.3, 4.9.1.1).
 */
export const compromisedKeys = sqliteTable('compromised_keys', {
  keySha256: text('key_sha256').primaryKey(),
  /** The certificate whose revocation reported it. */
  serial: text('serial')
    .notNull()
    .references(() => certificates.serial),
  federationId: text('federation_id')
    .notNull()
    .references(() => federations.id),
  reportedAt: ts('reported_at').notNull(),
  actor: text('actor').notNull(),
});

export const crls = sqliteTable('crls', {
  federationId: text('federation_id')
    .primaryKey()
    .references(() => federations.id),
  number: integer('number').notNull(),
  thisUpdate: ts('this_update').notNull(),
  nextUpdate: ts('next_update').notNull(),
  der: blob('der', { mode: 'buffer' }).notNull(),
});

/**
 * The last CRL number handed out per federation. Kept apart from `crls` so that two
 * builders (the server and a CLI revocation) never get the same number, even when
 * the one that finishes first stores its list.
 */
export const crlCounters = sqliteTable('crl_counters', {
  federationId: text('federation_id')
    .primaryKey()
    .references(() => federations.id),
  lastNumber: integer('last_number').notNull(),
});

/** One-time identifiers already used (renewal tokens' jti), kept until they expire. */
export const usedOnce = sqliteTable(
  'used_once',
  {
    id: text('id').primaryKey(),
    purpose: text('purpose').notNull(),
    usedAt: ts('used_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('used_once_expires_idx').on(t.expiresAt)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: ts('at').notNull(),
    action: text('action').notNull(),
    actor: text('actor').notNull(),
    sourceIp: text('source_ip'),
    federationId: text('federation_id'),
    target: text('target'),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_federation_at_idx').on(t.federationId, t.at), index('audit_action_at_idx').on(t.action, t.at)],
);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  displayName: text('display_name'),
  role: text('role', { enum: ['admin', 'operator', 'auditor'] }).notNull(),
  /** scrypt$N$r$p$salt$hash; null for single-sign-on accounts. */
  passwordHash: text('password_hash'),
  provider: text('provider').notNull().default('credentials'),
  disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
  createdAt: ts('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  lastSignInAt: ts('last_sign_in_at'),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    endedAt: ts('ended_at'),
    sourceIp: text('source_ip'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const signInThrottle = sqliteTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  firstFailureAt: ts('first_failure_at').notNull(),
  lockedUntil: ts('locked_until'),
});

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    serial: text('serial').notNull(),
    threshold: integer('threshold').notNull(),
    state: text('state', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serial, t.threshold] }), index('webhook_state_idx').on(t.state, t.nextAttemptAt)],
);

export type FederationRow = typeof federations.$inferSelect;
export type CaKeyRow = typeof caKeys.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
export type CertificateRow = typeof certificates.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;


