/**
 * A CaStore in memory, for unit tests that need a whole CertificateAuthority (mint a
 * token, sign a CSR) without a database. It keeps the single-use rule of the real
 * store; it does not model concurrency or persistence.
 */

import type { AuditEntry } from '@/lib/ca/audit';
import { CertificateAuthority } from '@/lib/ca/authority';
import { CaError } from '@/lib/ca/errors';
import type { CaStore, IssuanceRecord } from '@/lib/ca/store';
import type { CaKeyRecord, CertificateRecord, FederationRecord, TokenRecord } from '@/lib/ca/types';

export class MemoryCaStore implements CaStore {
  readonly federations = new Map<string, FederationRecord>();
  readonly keys = new Map<string, CaKeyRecord[]>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly certificates = new Map<string, CertificateRecord>();
  readonly audit: AuditEntry[] = [];

  async listFederations() {
    return [...this.federations.values()];
  }
  async getFederation(id: string) {
    return this.federations.get(id);
  }
  async listCaKeys(federationId: string) {
    return this.keys.get(federationId) ?? [];
  }
  async createFederation(federation: FederationRecord, keys: readonly CaKeyRecord[], audit: AuditEntry) {
    if (this.federations.has(federation.id)) throw new CaError('conflict', 'taken');
    this.federations.set(federation.id, federation);
    this.keys.set(federation.id, [...keys]);
    this.audit.push(audit);
  }
  async updateFederation(federation: FederationRecord, audit: AuditEntry) {
    this.federations.set(federation.id, federation);
    this.audit.push(audit);
  }
  async insertToken(token: TokenRecord, audit: AuditEntry) {
    this.tokens.set(token.jti, token);
    this.audit.push(audit);
  }
  async getToken(jti: string) {
    return this.tokens.get(jti);
  }
  async cancelToken(jti: string, at: Date, actor: string, audit: AuditEntry) {
    const t = this.tokens.get(jti);
    if (!t) throw new CaError('not_found', 'No such token.');
    if (t.state !== 'pending') throw new CaError('conflict', 'The token is no longer pending.');
    const updated: TokenRecord = { ...t, state: 'cancelled', cancelledAt: at, cancelledBy: actor };
    this.tokens.set(jti, updated);
    this.audit.push(audit);
    return updated;
  }
  async recordIssuance({ certificate, consumeJti, audit }: IssuanceRecord) {
    if (this.federations.get(certificate.federationId)?.status !== 'active') throw new CaError('federation_disabled', 'The federation has been disabled.');
    if (consumeJti) {
      const t = this.tokens.get(consumeJti);
      if (!t) throw new CaError('token_unknown', 'No record of this token.');
      if (t.state === 'used') throw new CaError('token_used', 'The token has already been used.');
      if (t.state === 'cancelled') throw new CaError('token_cancelled', 'The token has been cancelled.');
      this.tokens.set(consumeJti, { ...t, state: 'used', certSerial: certificate.serial });
    }
    this.certificates.set(certificate.serial, certificate);
    this.audit.push(audit);
  }
  async getCertificate(serial: string) {
    return this.certificates.get(serial);
  }
  async appendAudit(entry: AuditEntry) {
    this.audit.push(entry);
  }
}

/** A CertificateAuthority on a MemoryCaStore with one federation, "default", at localhost:9123. */
export async function memoryAuthority(o: { now?: () => Date } = {}): Promise<{ authority: CertificateAuthority; store: MemoryCaStore }> {
  const store = new MemoryCaStore();
  const authority = new CertificateAuthority({ store, password: 'unit test password', iterations: 1000, now: o.now });
  await authority.createFederation({ id: 'default', name: 'Test Federation', caUrl: 'localhost:9123' }, { id: 'test' });
  return { authority, store };
}
