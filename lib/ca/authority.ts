/**
 * The certificate authority as one service object: the route handlers, server actions
 * and the CLI are thin adapters over these methods. It owns the keyring (unlocked
 * federations) and reaches storage only through `CaStore`.
 */

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
import { createFederationPki, type FederationPkiParams } from './federation';
import { checkCsr, certificateResult, signLeafRecord, signWithToken, type IssuedCertificate, type SignWithTokenParams } from './issue';
import { Keyring, unlockFederation, type FederationContext } from './keyring';
import { mintToken, type MintTokenParams, type MintedToken } from './mint';
import { validateSans, validateSubject } from './policy';
import { signLeaf } from './profiles';
import type { CaStore } from './store';
import type { Actor, FederationRecord, NodeRole, TokenRecord } from './types';
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

export interface TlsCredentials {
  /** Leaf then intermediate. */
  certificateChain: string;
  privateKey: string;
  notAfter: Date;
}

export class CertificateAuthority {
  readonly keyring = new Keyring();
  readonly store: CaStore;
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
    const cn = csr.subject.commonName;
    if (!cn) throw new CaError('csr_name_mismatch', 'The CSR has no common name; OpenFL identifies nodes by it.');
    const subject = validateSubject(cn);
    const requested = [...csr.sans.dns, ...csr.sans.ip, ...csr.sans.email, ...csr.sans.uri];
    const sans = validateSans(requested.length ? requested : [subject]);
    const now = this.now();
    const seconds = p.certSeconds ?? ctx.federation.defaultCertSeconds;
    const validity = resolveValidity({ now, defaultSeconds: seconds, maxSeconds: seconds, issuerNotAfter: ctx.leaf.issuerNotAfter });
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
}
