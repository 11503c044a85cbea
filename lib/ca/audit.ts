/**
 * The audit trail's vocabulary. Entries are written by the store in the same
 * transaction as the change they describe, and the table refuses UPDATE and DELETE.
 */

export const ActivityType = {
  FEDERATION_CREATED: 'FEDERATION_CREATED',
  FEDERATION_UPDATED: 'FEDERATION_UPDATED',
  FEDERATION_DISABLED: 'FEDERATION_DISABLED',
  FEDERATION_ENABLED: 'FEDERATION_ENABLED',
  TOKEN_MINTED: 'TOKEN_MINTED',
  TOKEN_CANCELLED: 'TOKEN_CANCELLED',
  TOKEN_REFUSED: 'TOKEN_REFUSED',
  CERT_ISSUED: 'CERT_ISSUED',
  CSR_SIGNED: 'CSR_SIGNED',
  CERT_RENEWED: 'CERT_RENEWED',
  CERT_REVOKED: 'CERT_REVOKED',
  CRL_PUBLISHED: 'CRL_PUBLISHED',
  CA_KEY_ROTATED: 'CA_KEY_ROTATED',
  CA_STARTED: 'CA_STARTED',
  SIGN_IN: 'SIGN_IN',
  SIGN_IN_FAILED: 'SIGN_IN_FAILED',
  SIGN_IN_LOCKED: 'SIGN_IN_LOCKED',
  SIGN_OUT: 'SIGN_OUT',
  USER_CREATED: 'USER_CREATED',
  USER_UPDATED: 'USER_UPDATED',
  USER_DISABLED: 'USER_DISABLED',
  SETTINGS_UPDATED: 'SETTINGS_UPDATED',
  WEBHOOK_SENT: 'WEBHOOK_SENT',
  WEBHOOK_FAILED: 'WEBHOOK_FAILED',
} as const;

export type ActivityType = (typeof ActivityType)[keyof typeof ActivityType];

export interface AuditEntry {
  at: Date;
  action: ActivityType;
  actor: string;
  sourceIp: string | null;
  federationId: string | null;
  /** What the action was about: a serial, a token id prefix, a user name. */
  target: string | null;
  outcome: 'success' | 'failure';
  /** Safe details only: never tokens, keys or passwords. */
  details: Record<string, unknown> | null;
}

export function auditEntry(
  action: ActivityType,
  fields: Partial<Omit<AuditEntry, 'action'>> & { at: Date; actor: string },
): AuditEntry {
  return {
    action,
    at: fields.at,
    actor: fields.actor,
    sourceIp: fields.sourceIp ?? null,
    federationId: fields.federationId ?? null,
    target: fields.target ?? null,
    outcome: fields.outcome ?? 'success',
    details: fields.details ?? null,
  };
}

/** Token ids are not secret, but a prefix is all a log line needs. */
export const jtiLabel = (jti: string): string => jti.slice(0, 12);
