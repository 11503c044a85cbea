/**
 * The certificate authority as one service object: the route handlers, server actions
 * and the CLI are thin adapters over these methods. It owns the keyring (unlocked
 * federations) and reaches storage only through `CaStore`.
 */

import { readCertificate } from '../pki/certificate';
import { getCrypto } from '../pki/crypto';
import { exportPkcs8, exportSpki, generateKeyPair } from '../pki/keys';
import { splitSans } from '../pki/extensions/subject-alt-name';
import { extKeyUsage } from '../pki/extensions/ext-key-usage';
import { id_kp_serverAuth } from '../pki/oids';
import { toPem } from '../pki/pem';
import { parseSpki } from '../pki/spki';
import { generateSerialNumber } from '../pki/x509';
import { ActivityType, auditEntry, jtiLabel } from './audit';
import { CaError } from './errors';
import { createFederationPki, validatePublicUrl, type FederationPkiParams } from './federation';
import { checkCsr, certificateResult, signLeafRecord, signWithToken, type IssuedCertificate, type SignWithTokenParams } from './issue';
import { Keyring, unlockFederation, type FederationContext } from './keyring';
import { CrlPublisher } from './crl';
import { mintRevokeToken, mintToken, type MintRevokeTokenParams, type MintTokenParams, type MintedToken } from './mint';
import { answerOcsp, type OcspAnswer } from './ocsp';
import { authenticateCertificate, authorizeRenewToken, renewCertificate } from './renew';
import { alreadyRevoked, authorizeRevokeToken, parseReasonCode, parseSerial, revokeCertificate, type RevokeParams } from './revoke';
import { csrSigningNames } from './policy';
import { signLeaf } from './profiles';
import type { CaStore, Revoked } from './store';
import type { Actor, CertificateRecord, CrlRecord, FederationRecord, NodeRole, RevocationChannel, TokenRecord } from './types';
import { BACKDATE_SECONDS, resolveValidity } from './validity';

export interface AuthorityOptions {
  store: CaStore;
  /** The CA password; kept in this object only, never logged or returned. */
  password: string;
  crypto?: Crypto;
  now?: () => Date;
  /** PBKDF2 iterations for new keys. Default is 600,000. */
  iterations?: number;
  /** Extra host names any federation's tokens may point at (e.g. a load balancer's). */
  aliases?: readonly string[];
}

export interface SignCsrParams {
  federationId: string;
  /** PEM or DER. */
  csr: Uint8Array;
  role?: NodeRole;
  certSeconds?: number;
}

export interface RevocationResult {
  certificate: CertificateRecord;
  /** Other certificates with the same key, revoked with it (reason keyCompromise). */
  alsoRevoked: CertificateRecord[];
  /** The CRL published after it; null when publishing failed (the server's timer retries). */
  crl: CrlRecord | null;
}

/** Where a lifecycle request arrived: the listener's federations and the peer. */
export interface RequestScope {
  /** The federations served where the request arrived, the SNI-selected one first. */
  scope: readonly FederationContext[];
  sourceIp?: string | null;
}

export interface TlsCredentials {
  /** Leaf then intermediate. */
  certificateChain: string;
  privateKey: string;
  notAfter: Date;
}

export class CertificateAuthority {
  readonly keyring = new Keyring();
  readonly store: CaStore;
  /** Each federation's CRL: built on revocation and on a timer, never on the signing path. */
  readonly crls: CrlPublisher;
  readonly crypto: Crypto;
  readonly now: () => Date;
  readonly #password: string;
  readonly #iterations?: number;
  readonly #aliases: readonly string[];

  constructor(o: AuthorityOptions) {
    this.store = o.store;
    this.#password = o.password;
    this.crypto = o.crypto ?? getCrypto();
    this.now = o.now ?? (() => new Date());
    this.#iterations = o.iterations;
    this.#aliases = o.aliases ?? [];
    this.crls = new CrlPublisher({ store: this.store, federation: (id) => this.federation(id), now: this.now, crypto: this.crypto });
  }

  /**
   * Unlocks every federation. The first one is unlocked alone so that a wrong password
   * fails fast; the rest in parallel.
   * @throws CaError wrong_password
   */
  async unlockAll(): Promise<FederationContext[]> {
    const federations = await this.store.listFederations();
    const [first, ...rest] = federations;
    if (!first) return [];
    await this.unlock(first);
    await Promise.all(rest.map((f) => this.unlock(f)));
    return this.keyring.list();
  }

  async unlock(federation: FederationRecord): Promise<FederationContext> {
    const keys = await this.store.listCaKeys(federation.id);
    const ctx = await unlockFederation({ federation, keys, password: this.#password, aliases: this.#aliases }, this.crypto);
    this.keyring.set(ctx);
    return ctx;
  }

  /**
   * Picks up federations created or changed by another process (the CLI, another
   * instance): unlocks new ones and refreshes the records of known ones.
   */
  async refresh(): Promise<{ added: string[]; changed: string[] }> {
    const added: string[] = [];
    const changed: string[] = [];
    for (const f of await this.store.listFederations()) {
      const ctx = this.keyring.get(f.id);
      if (!ctx) {
        await this.unlock(f);
        added.push(f.id);
      } else if (JSON.stringify(ctx.federation) !== JSON.stringify(f)) {
        this.keyring.updateRecord(f);
        changed.push(f.id);
      }
    }
    return { added, changed };
  }

  federation(id: string): FederationContext {
    return this.keyring.require(id);
  }

  async createFederation(
    p: Omit<FederationPkiParams, 'password' | 'createdBy' | 'iterations' | 'now'>,
    actor: Actor,
  ): Promise<FederationContext> {
    const now = this.now();
    const { federation, keys } = await createFederationPki(
      { ...p, password: this.#password, createdBy: actor.id, iterations: this.#iterations, now },
      this.crypto,
    );
    await this.store.createFederation(
      federation,
      keys,
      auditEntry(ActivityType.FEDERATION_CREATED, {
        at: now,
        actor: actor.id,
        sourceIp: actor.sourceIp,
        federationId: federation.id,
        target: federation.name,
        details: { caUrl: federation.caUrl, keySpec: federation.keySpec, rootFingerprint: federation.rootFingerprint },
      }),
    );
    return this.unlock(federation);
  }

  async updateFederation(
    id: string,
    patch: Partial<Pick<FederationRecord, 'status' | 'publicUrl' | 'defaultCertSeconds' | 'allowRenewAfterExpiry'>>,
    actor: Actor,
  ): Promise<FederationRecord> {
    const ctx = this.federation(id);
    if (patch.publicUrl) patch = { ...patch, publicUrl: validatePublicUrl(patch.publicUrl) };
    const updated: FederationRecord = { ...ctx.federation, ...patch };
    const action =
      patch.status && patch.status !== ctx.federation.status
        ? patch.status === 'disabled'
          ? ActivityType.FEDERATION_DISABLED
          : ActivityType.FEDERATION_ENABLED
        : ActivityType.FEDERATION_UPDATED;
    await this.store.updateFederation(
      updated,
      auditEntry(action, { at: this.now(), actor: actor.id, sourceIp: actor.sourceIp, federationId: id, target: updated.name, details: patch }),
    );
    this.keyring.updateRecord(updated);
    return updated;
  }

  /** Async, so an unknown federation rejects the promise rather than throwing on the call. */
  async mintToken(federationId: string, p: MintTokenParams, actor: Actor): Promise<MintedToken> {
    return mintToken(this.federation(federationId), p, actor, this.store, this.now(), this.crypto);
  }

  async cancelToken(jti: string, actor: Actor): Promise<TokenRecord> {
    const now = this.now();
    const token = await this.store.getToken(jti);
    if (!token) throw new CaError('not_found', 'No such token.');
    return this.store.cancelToken(
      jti,
      now,
      actor.id,
      auditEntry(ActivityType.TOKEN_CANCELLED, {
        at: now,
        actor: actor.id,
        sourceIp: actor.sourceIp,
        federationId: token.federationId,
        target: jtiLabel(jti),
        details: { subject: token.subject },
      }),
    );
  }

  signWithToken(p: SignWithTokenParams): Promise<IssuedCertificate> {
    return signWithToken(p, {
      store: this.store,
      lookup: (kid) => this.keyring.byKid(kid),
      context: (id) => this.keyring.require(id),
      now: this.now,
      crypto: this.crypto,
    });
  }

  /**
   * Signs an uploaded CSR (OpenFL's manual workflow) under the same policy as /sign:
   * the names come from the CSR itself (CN, and its SANs or DNS:<CN>).
   */
  async signCsr(p: SignCsrParams, actor: Actor): Promise<IssuedCertificate> {
    const ctx = this.federation(p.federationId);
    if (ctx.federation.status !== 'active') throw new CaError('conflict', `Federation "${ctx.federation.name}" is disabled.`);
    const csr = await checkCsr(p.csr, this.crypto);
    const { subject, sans } = csrSigningNames(csr);
    const now = this.now();
    const seconds = p.certSeconds ?? ctx.federation.defaultCertSeconds;
    const validity = resolveValidity({ now, defaultSeconds: seconds, maxSeconds: seconds, issuerNotBefore: ctx.leaf.issuerNotBefore, issuerNotAfter: ctx.leaf.issuerNotAfter });
    const record = await signLeafRecord(
      { ctx, csr, commonName: subject, sans, ...validity, role: p.role ?? 'collaborator', source: 'csr', tokenJti: null, issuedBy: actor.id, now },
      this.crypto,
    );
    await this.store.recordIssuance({
      certificate: record,
      now,
      audit: auditEntry(ActivityType.CSR_SIGNED, {
        at: now,
        actor: actor.id,
        sourceIp: actor.sourceIp,
        federationId: ctx.federation.id,
        target: record.serial,
        details: { subject, sans, key: record.keyDescription },
      }),
    });
    return certificateResult(ctx, record);
  }

  /**
   * A short-lived TLS server certificate for FedPKI's own listener, chained to the
   * federation's root so that clients pinning that root (step, `fedpki certify`)
   * accept the connection. Held in memory only.
   */
  async issueTlsCredentials(federationId: string, hostnames: readonly string[], lifetimeSeconds = 24 * 3600): Promise<TlsCredentials> {
    const ctx = this.federation(federationId);
    const keys = await generateKeyPair('EC-P256', {}, this.crypto);
    const spki = parseSpki(await exportSpki(keys.publicKey, this.crypto));
    const now = this.now().getTime();
    const notBefore = new Date(now - BACKDATE_SECONDS * 1000);
    let notAfter = new Date(now + lifetimeSeconds * 1000);
    if (notAfter > ctx.leaf.issuerNotAfter) notAfter = ctx.leaf.issuerNotAfter;
    const der = await signLeaf(
      ctx.leaf,
      {
        serialNumber: generateSerialNumber(this.crypto),
        notBefore,
        notAfter,
        commonName: `${ctx.federation.name} FedPKI`.slice(0, 64),
        sans: splitSans(hostnames),
        publicKey: spki,
        extKeyUsage: extKeyUsage([id_kp_serverAuth]),
      },
      this.crypto,
    );
    return {
      certificateChain: toPem(der, 'CERTIFICATE') + ctx.intermediate.pem,
      privateKey: toPem(await exportPkcs8(keys.privateKey, this.crypto), 'PRIVATE KEY'),
      notAfter,
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Revokes a certificate (portal, CLI) and publishes the federation's new CRL.
   * @param serial - hex as FedPKI shows it (or 0x… / colon-separated)
   * @throws CaError serial_invalid, bad_request (reason), not_found, already_revoked
   */
  async revoke(serial: string, p: Pick<RevokeParams, 'reasonCode' | 'reason'>, actor: Actor, via: RevocationChannel = 'portal'): Promise<RevocationResult> {
    return this.#revoked(await revokeCertificate(serial, p, actor, via, { store: this.store, now: this.now() }), actor);
  }

  async #revoked({ certificate, alsoRevoked }: Revoked, actor: Actor): Promise<RevocationResult> {
    let crl: CrlRecord | null = null;
    try {
      crl = await this.crls.publish(certificate.federationId, actor.id);
    } catch {
      crl = null;
    }
    // A compromised key's other certificates may be in other federations: their CRLs too.
    for (const id of new Set(alsoRevoked.map((c) => c.federationId))) {
      if (id !== certificate.federationId) await this.crls.publish(id, actor.id).catch(() => undefined);
    }
    return { certificate, alsoRevoked, crl };
  }

  /** `POST /revoke` with a revoke token (`step ca revoke --token`). */
  async revokeWithToken(p: { serial: string; ott: string; reasonCode?: number; reason?: string | null; sourceIp?: string | null }): Promise<RevocationResult> {
    const serial = parseSerial(p.serial, 10);
    parseReasonCode(p.reasonCode); // a malformed request is refused before the token is looked at
    const now = this.now();
    const { ctx, jti } = await authorizeRevokeToken(p.ott, serial, { store: this.store, now, lookup: (kid) => this.keyring.byKid(kid), crypto: this.crypto });
    const actor: Actor = { id: `token:${jtiLabel(jti)}`, sourceIp: p.sourceIp };
    const cert = await revokeCertificate(serial, { reasonCode: p.reasonCode, reason: p.reason, federationId: ctx.federation.id, consumeJti: jti }, actor, 'api-token', { store: this.store, now });
    return this.#revoked(cert, actor);
  }

  /** `POST /revoke` authenticated by the certificate itself over mutual TLS. */
  async revokeWithCertificate(
    p: RequestScope & { serial: string; presented: Uint8Array; reasonCode?: number; reason?: string | null },
  ): Promise<RevocationResult> {
    const serial = parseSerial(p.serial, 10);
    parseReasonCode(p.reasonCode);
    const now = this.now();
    let ctx: FederationContext;
    try {
      ({ ctx } = await authenticateCertificate(p.presented, p.scope, { store: this.store, now, crypto: this.crypto }, { allowExpired: true }));
    } catch (e) {
      const revoked = e instanceof CaError && e.code === 'certificate_revoked' ? await this.store.getCertificate(serial) : undefined;
      if (revoked) throw alreadyRevoked(revoked);
      throw e;
    }
    const presentedSerial = readCertificate(p.presented).serialNumber;
    if (presentedSerial !== serial) {
      throw new CaError('forbidden', 'The request was forbidden by the certificate authority: a client certificate may only revoke itself.');
    }
    const actor: Actor = { id: `mtls:${serial}`, sourceIp: p.sourceIp };
    const cert = await revokeCertificate(serial, { reasonCode: p.reasonCode, reason: p.reason, federationId: ctx.federation.id }, actor, 'api-mtls', { store: this.store, now });
    return this.#revoked(cert, actor);
  }

  /** Mints a one-time token that revokes one certificate (`fedpki get-token --revoke`). */
  async mintRevokeToken(p: MintRevokeTokenParams, actor: Actor): Promise<MintedToken> {
    const serial = parseSerial(p.serial);
    const cert = await this.store.getCertificate(serial);
    if (!cert) throw new CaError('not_found', `No certificate with serial ${serial} was issued by this certificate authority.`);
    return mintRevokeToken(this.federation(cert.federationId), cert, p, actor, this.store, this.now(), this.crypto);
  }

  /**
   * `POST /renew` over mutual TLS: a new certificate for the same key and names.
   * @param presented - the client certificate's DER
   */
  renew(p: RequestScope & { presented: Uint8Array }): Promise<IssuedCertificate> {
    return renewCertificate({ presented: p.presented, via: 'mtls', scope: p.scope, sourceIp: p.sourceIp }, { store: this.store, now: this.now(), crypto: this.crypto });
  }

  /** `POST /rekey` over mutual TLS: a new certificate with the same names for the CSR's new key. */
  rekey(p: RequestScope & { presented: Uint8Array; csr: Uint8Array }): Promise<IssuedCertificate> {
    return renewCertificate({ presented: p.presented, via: 'mtls', scope: p.scope, csr: p.csr, sourceIp: p.sourceIp }, { store: this.store, now: this.now(), crypto: this.crypto });
  }

  /**
   * `POST /renew` or `/rekey` with `Authorization: Bearer <x5c token>` (`step ca renew
   * --mtls=false`, `fedpki renew` without mTLS, the browser renewal page).
   * @param requestHost - the host the request was addressed to (lowercase, no port), also accepted as the token audience
   */
  async renewWithToken(p: RequestScope & { token: string; csr?: Uint8Array; requestHost?: string | null }): Promise<IssuedCertificate> {
    const deps = { store: this.store, now: this.now(), crypto: this.crypto };
    const auth = await authorizeRenewToken(p.token, { rekey: Boolean(p.csr), scope: p.scope, requestHost: p.requestHost }, deps);
    return renewCertificate({ presented: auth.presented, via: 'x5c', scope: p.scope, csr: p.csr, csrThumbprint: auth.csrThumbprint, sourceIp: p.sourceIp }, deps);
  }

  /** Answers an OCSP request (DER in, OCSPResponse DER out; errors are OCSP responses too). */
  ocsp(requestDer: Uint8Array, scope: readonly FederationContext[]): Promise<OcspAnswer> {
    return answerOcsp(requestDer, scope, { store: this.store, now: this.now(), crypto: this.crypto });
  }

  /** The federation's current CRL (built when there is none or it has expired). */
  currentCrl(federationId: string): Promise<CrlRecord> {
    this.federation(federationId);
    return this.crls.current(federationId);
  }
}
