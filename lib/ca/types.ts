/** The CA's records, independent of how a store keeps them. */

import type { KeySpec } from '../pki/keys';

export type FederationStatus = 'active' | 'disabled';

export interface FederationRecord {
  id: string;
  name: string;
  /** host:port the federation's tokens point at (their `aud`); its TLS chain leads to this root. */
  caUrl: string;
  keySpec: KeySpec;
  status: FederationStatus;
  /** https base URL put in CRL distribution point and AIA extensions; unset omits them. */
  publicUrl: string | null;
  /** Default leaf lifetime in seconds (OpenFL: 8760h). */
  defaultCertSeconds: number;
  allowRenewAfterExpiry: boolean;
  /** Provisioner name (the token `iss`) and key id (the JWS `kid`). */
  provisionerName: string;
  provisionerKid: string;
  rootFingerprint: string;
  createdAt: Date;
  createdBy: string;
}

export type CaKeyPurpose = 'root' | 'intermediate' | 'provisioner';

export interface CaKeyRecord {
  id: string;
  federationId: string;
  purpose: CaKeyPurpose;
  keySpec: KeySpec;
  /** PEM "ENCRYPTED PRIVATE KEY" (PBES2, PBKDF2-SHA256, AES-256-CBC). */
  encryptedKey: string;
  /** The certificate DER for root and intermediate keys. */
  certificate: Uint8Array | null;
  /** Public JWK JSON for the provisioner key. */
  publicJwk: string | null;
  fingerprint: string | null;
  notAfter: Date | null;
  active: boolean;
  createdAt: Date;
}

export type NodeRole = 'collaborator' | 'envoy' | 'aggregator' | 'director' | 'api' | 'other';
export const NODE_ROLES: readonly NodeRole[] = ['collaborator', 'envoy', 'aggregator', 'director', 'api', 'other'];

export type TokenState = 'pending' | 'used' | 'cancelled';
export type TokenKind = 'sign' | 'revoke';

export interface TokenRecord {
  jti: string;
  federationId: string;
  kind: TokenKind;
  /** A node name; for a revoke token, the serial it may revoke, in decimal. */
  subject: string;
  sans: string[];
  role: NodeRole;
  certSeconds: number;
  notBefore: Date;
  expiresAt: Date;
  createdAt: Date;
  createdBy: string;
  state: TokenState;
  usedAt: Date | null;
  certSerial: string | null;
  cancelledAt: Date | null;
  cancelledBy: string | null;
  /** HMAC of the token's exact bytes (token-binding.ts); null for tokens minted before bindings. */
  binding: Uint8Array | null;
}

export type CertificateSource = 'token' | 'csr' | 'renew' | 'rekey';
export type CertificateStatus = 'valid' | 'revoked';

export interface CertificateRecord {
  /** Lowercase hex, no leading zero bytes. */
  serial: string;
  federationId: string;
  commonName: string;
  sans: string[];
  role: NodeRole;
  keyDescription: string;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
  fingerprint: string;
  source: CertificateSource;
  tokenJti: string | null;
  renewedFrom: string | null;
  issuedBy: string;
  createdAt: Date;
  status: CertificateStatus;
  revokedAt: Date | null;
  revocationReason: number | null;
  /** SHA-256 of the SubjectPublicKeyInfo, hex (`keySha256`); null only on rows older than it, until backfilled. */
  keySha256: string | null;
}

export interface Actor {
  /** "user:alice", "token:<jti prefix>", "cli", "system", "mtls:<serial>". */
  id: string;
  sourceIp?: string | null;
}

/** How a revocation reached the CA. */
export type RevocationChannel = 'portal' | 'cli' | 'api-token' | 'api-mtls';

export interface RevocationRecord {
  serial: string;
  federationId: string;
  /** RFC 5280 CRLReason. */
  reasonCode: number;
  /** Free text from the person revoking (shown in the portal, never in the CRL). */
  reason: string | null;
  revokedAt: Date;
  /** The certificate's notAfter: after it (and a grace period) the entry leaves the CRL. */
  expiresAt: Date;
  actor: string;
  via: RevocationChannel;
}

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reasonCode: number;
  expiresAt: Date;
}

export interface CrlRecord {
  federationId: string;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  der: Uint8Array;
}

export interface ExpiringCertificate {
  serial: string;
  federationId: string;
  commonName: string;
  sans: string[];
  role: NodeRole;
  notAfter: Date;
}

export interface ExpiryNotice {
  serial: string;
  threshold: number;
  /** Attempts made before this one. */
  attempts: number;
  certificate: ExpiringCertificate;
}
