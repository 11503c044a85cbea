/**
 * Unlocked federations. Decrypting a CA key costs a PBKDF2 run (~0.16 s), so it is
 * done once per process; after that, signing uses the imported CryptoKey and the
 * precompiled leaf template, and token checks use the provisioner's public key, or
 * the token binding key derived from the intermediate's at unlock (token-binding.ts).
 */

import { readCertificate, subjectKeyIdOf, type CertificateFields } from '../pki/certificate';
import { getCrypto } from '../pki/crypto';
import { importPkcs8 } from '../pki/keys';
import { fromPem, toPem } from '../pki/pem';
import { WrongPasswordError, decryptPrivateKey } from '../pki/pkcs8';
import { signatureAlgorithmForKey } from '../pki/x509';
import { CaError } from './errors';
import { splitCaUrl } from './federation';
import { createLeafTemplate, type LeafTemplate } from './profiles';
import { deriveTokenBindingKey } from './token-binding';
import type { PublicEcJwk } from './token';
import type { CaKeyRecord, FederationRecord } from './types';

export interface CaCertificate {
  der: Uint8Array;
  pem: string;
  fields: CertificateFields;
  fingerprint: string;
}

export interface FederationContext {
  federation: FederationRecord;
  root: CaCertificate;
  intermediate: CaCertificate & { key: CryptoKey; keyId: Uint8Array };
  provisioner: {
    kid: string;
    name: string;
    jwk: PublicEcJwk;
    publicKey: CryptoKey;
    /** Decrypted on first use: only minting needs it. */
    privateKey: () => Promise<CryptoKey>;
  };
  leaf: LeafTemplate;
  /** Binds minted tokens to their records and recognises them when they come back (token-binding.ts). */
  tokenBinding?: CryptoKey;
  /** Host names a token's `aud` may name (ports are ignored, as step-ca does). */
  hostnames: Set<string>;
}

function caCertificate(record: CaKeyRecord | undefined, purpose: string): CaCertificate {
  if (!record?.certificate) throw new CaError('internal', `The federation has no active ${purpose} certificate.`);
  const fields = readCertificate(record.certificate);
  return { der: record.certificate, pem: toPem(record.certificate, 'CERTIFICATE'), fields, fingerprint: record.fingerprint ?? '' };
}

async function decrypt(record: CaKeyRecord, password: string, crypto: Crypto): Promise<CryptoKey> {
  return (await decryptWithBytes(record, password, crypto)).key;
}

async function decryptWithBytes(record: CaKeyRecord, password: string, crypto: Crypto): Promise<{ key: CryptoKey; pkcs8: Uint8Array }> {
  const der = fromPem(record.encryptedKey, 'ENCRYPTED PRIVATE KEY');
  if (!der) throw new CaError('internal', `CA key ${record.id} is not an encrypted PKCS#8 PEM.`);
  try {
    const pkcs8 = await decryptPrivateKey(der, password, crypto);
    return { key: await importPkcs8(pkcs8, {}, crypto), pkcs8 };
  } catch (e) {
    if (e instanceof WrongPasswordError) throw new CaError('wrong_password', 'The CA password is wrong: it does not open the federation keys.');
    throw e;
  }
}

function leafTemplateFor(federation: FederationRecord, issuer: CertificateFields, key: CryptoKey, keyId: Uint8Array): LeafTemplate {
  return createLeafTemplate({
    signatureAlgorithm: signatureAlgorithmForKey(key),
    issuerName: issuer.subjectDer,
    issuerNotBefore: issuer.notBefore,
    issuerNotAfter: issuer.notAfter,
    issuerKeyId: keyId,
    signingKey: key,
    federationId: federation.id,
    publicUrl: federation.publicUrl,
  });
}

export interface UnlockParams {
  federation: FederationRecord;
  keys: readonly CaKeyRecord[];
  password: string;
  /** Extra host names tokens may point at, besides the federation's caUrl host. */
  aliases?: readonly string[];
}

/**
 * Decrypts a federation's intermediate key and prepares everything issuance needs.
 * @throws CaError wrong_password when the password does not open the keys
 */
export async function unlockFederation(p: UnlockParams, crypto: Crypto = getCrypto()): Promise<FederationContext> {
  const intRecord = activeKey(p.keys, 'intermediate');
  const provRecord = activeKey(p.keys, 'provisioner');
  if (!intRecord || !provRecord) throw new CaError('internal', `Federation ${p.federation.id} is missing CA keys.`);
  const intermediate = await decryptWithBytes(intRecord, p.password, crypto);
  const tokenBinding = await deriveTokenBindingKey(intermediate.pkcs8, p.federation.id, crypto);
  intermediate.pkcs8.fill(0);
  let provisionerKey: Promise<CryptoKey> | undefined;
  const provisionerPrivateKey = () => {
    provisionerKey ??= decrypt(provRecord, p.password, crypto).catch((e) => {
      provisionerKey = undefined;
      throw e;
    });
    return provisionerKey;
  };
  return federationContext({ federation: p.federation, keys: p.keys, intermediateKey: intermediate.key, tokenBinding, provisionerPrivateKey, aliases: p.aliases }, crypto);
}

const activeKey = (keys: readonly CaKeyRecord[], purpose: string) => keys.find((k) => k.purpose === purpose && k.active);

export interface ContextParams {
  federation: FederationRecord;
  keys: readonly CaKeyRecord[];
  /** The intermediate's private key, already unlocked. */
  intermediateKey: CryptoKey;
  /** The key of token bindings (see token-binding.ts); without it every token's signature is checked. */
  tokenBinding?: CryptoKey;
  /** Absent where tokens are verified but never minted (signing worker threads). */
  provisionerPrivateKey?: () => Promise<CryptoKey>;
  aliases?: readonly string[];
}

/** Assembles a federation's context from its records and an unlocked intermediate key. */
export async function federationContext(p: ContextParams, crypto: Crypto = getCrypto()): Promise<FederationContext> {
  const provRecord = activeKey(p.keys, 'provisioner');
  if (!provRecord?.publicJwk) throw new CaError('internal', `Federation ${p.federation.id} has no provisioner key.`);
  const root = caCertificate(activeKey(p.keys, 'root'), 'root');
  const intermediate = caCertificate(activeKey(p.keys, 'intermediate'), 'intermediate');
  const keyId = subjectKeyIdOf(intermediate.fields);
  if (!keyId) throw new CaError('internal', 'The intermediate certificate has no subject key identifier.');
  const jwk = JSON.parse(provRecord.publicJwk) as PublicEcJwk;
  const publicKey = await crypto.subtle.importKey('jwk', { ...jwk, ext: true }, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const hostnames = new Set([splitCaUrl(p.federation.caUrl).host.toLowerCase(), ...(p.aliases ?? []).map((a) => a.toLowerCase())]);
  return {
    federation: p.federation,
    root,
    intermediate: { ...intermediate, key: p.intermediateKey, keyId },
    provisioner: {
      kid: p.federation.provisionerKid,
      name: p.federation.provisionerName,
      jwk,
      publicKey,
      privateKey: p.provisionerPrivateKey ?? (() => Promise.reject(new CaError('internal', 'This thread cannot mint tokens.'))),
    },
    leaf: leafTemplateFor(p.federation, intermediate.fields, p.intermediateKey, keyId),
    tokenBinding: p.tokenBinding,
    hostnames,
  };
}

/** Unlocked federations by id and by provisioner key id. */
export class Keyring {
  readonly #byId = new Map<string, FederationContext>();
  readonly #byKid = new Map<string, FederationContext>();
  /** Increases on every change, so copies of the keyring (signing threads) know to refresh. */
  version = 0;

  set(ctx: FederationContext): void {
    this.version++;
    const previous = this.#byId.get(ctx.federation.id);
    if (previous) this.#byKid.delete(previous.provisioner.kid);
    this.#byId.set(ctx.federation.id, ctx);
    this.#byKid.set(ctx.provisioner.kid, ctx);
  }

  get(id: string): FederationContext | undefined {
    return this.#byId.get(id);
  }

  require(id: string): FederationContext {
    const ctx = this.#byId.get(id);
    if (!ctx) throw new CaError('not_found', `No federation "${id}".`);
    return ctx;
  }

  byKid(kid: string): FederationContext | undefined {
    return this.#byKid.get(kid);
  }

  /** Finds a federation by one of its roots' SHA-256 fingerprints. */
  byRootFingerprint(sha: string): FederationContext | undefined {
    for (const ctx of this.#byId.values()) if (ctx.root.fingerprint === sha) return ctx;
    return undefined;
  }

  list(): FederationContext[] {
    return [...this.#byId.values()];
  }

  /** The first federation (id `default`, made at the first start; else the oldest): the one the CA URL and FEDPKI_PUBLIC_URL settings name. */
  first(): FederationContext | undefined {
    return this.#byId.get('default') ?? this.#byId.values().next().value;
  }

  /** Refreshes a federation's record (status, settings) without unlocking again. */
  updateRecord(federation: FederationRecord): void {
    const ctx = this.#byId.get(federation.id);
    if (!ctx) return;
    const { fields, key, keyId } = ctx.intermediate;
    this.set({ ...ctx, federation, leaf: leafTemplateFor(federation, fields, key, keyId) });
  }
}
