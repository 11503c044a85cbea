/**
 * A federation's CA material, made the way `step ca init` makes it: a root (10 years,
 * pathlen 1), an intermediate that signs leaves (pathlen 0) and an ES256 provisioner
 * key that signs enrollment tokens. Every private key is stored encrypted with the CA
 * password (PKCS#8 PBES2, readable by `openssl pkey -passin`).
 *
 * The default key is ECDSA P-256: it signs in ~34 µs and verifies in ~87 µs on the
 * target machine (RSA-3072 signs in ~2 ms), every TLS stack OpenFL uses accepts it,
 * and it is what step-ca uses, so FedPKI chains look like the ones OpenFL knows.
 */

import { getCrypto } from '../pki/crypto';
import { keyIdentifier } from '../pki/extensions/key-identifiers';
import { exportPkcs8, exportSpki, generateKeyPair, type KeySpec } from '../pki/keys';
import { simpleName } from '../pki/name';
import { toPem } from '../pki/pem';
import { encryptPrivateKey } from '../pki/pkcs8';
import { parseSpki } from '../pki/spki';
import { fingerprint } from '../pki/certificate';
import { generateSerialNumber, signCertificate, signatureAlgorithmForKey } from '../pki/x509';
import { CaError } from './errors';
import { validateCaUrl, validateFederationId } from './names';
import { ROOT_LIFETIME_SECONDS, intermediateExtensions, rootExtensions } from './profiles';
import { jwkThumbprint, type PublicEcJwk } from './token';
import type { CaKeyRecord, FederationRecord } from './types';
import { DEFAULT_CERT_SECONDS } from './validity';

export const CA_KEY_SPECS: readonly KeySpec[] = ['EC-P256', 'EC-P384', 'RSA-3072'];

export interface FederationPkiParams {
  /** URL-safe identifier, e.g. "default" or "brain-tumor-study". */
  id: string;
  /** Shown in certificate subjects: "O=<name>, CN=<name> Root CA". */
  name: string;
  /** host:port the tokens point at. */
  caUrl: string;
  keySpec?: KeySpec;
  password: string;
  createdBy: string;
  publicUrl?: string | null;
  defaultCertSeconds?: number;
  /** PBKDF2 iterations for the key encryption. Default is 600,000; tests lower it. */
  iterations?: number;
  now?: Date;
}

export interface FederationPki {
  federation: FederationRecord;
  keys: CaKeyRecord[];
}

export { splitCaUrl, validateCaUrl, validateFederationId } from './names';

/**
 * The base URL put in leaves' CRL distribution point and AIA extensions: http or
 * https (RFC 5280 §4.2.1.13 advises plain http for CRLs and OCSP: a TLS check of the
 * server would need revocation data itself), no query, no fragment, no trailing slash.
 */
export function validatePublicUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    url = undefined as unknown as URL;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new CaError('validation_failed', 'The public URL is an http:// or https:// base address such as http://pki.example.org, without query or credentials.', {
      fieldErrors: { publicUrl: ['Give an http:// or https:// base URL.'] },
    });
  }
  return url.toString().replace(/\/+$/, '');
}


async function encryptKey(key: CryptoKey, password: string, iterations: number | undefined, crypto: Crypto): Promise<string> {
  return toPem(await encryptPrivateKey(await exportPkcs8(key, crypto), password, { iterations }, crypto), 'ENCRYPTED PRIVATE KEY');
}

/**
 * Generates a federation's root, intermediate and provisioner keys and certificates.
 * Nothing is stored here: the caller saves the records in one transaction.
 */
export async function createFederationPki(p: FederationPkiParams, crypto: Crypto = getCrypto()): Promise<FederationPki> {
  validateFederationId(p.id);
  validateCaUrl(p.caUrl);
  if (!p.name.trim() || p.name.length > 48) throw new CaError('validation_failed', 'A federation name is 1–48 characters.', { fieldErrors: { name: ['Give a name of 1–48 characters.'] } });
  const keySpec = p.keySpec ?? 'EC-P256';
  if (!CA_KEY_SPECS.includes(keySpec)) throw new CaError('validation_failed', `CA keys may be ${CA_KEY_SPECS.join(', ')}.`);
  const now = p.now ?? new Date();
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + ROOT_LIFETIME_SECONDS * 1000);

  const [rootKeys, intKeys, provKeys] = await Promise.all([
    generateKeyPair(keySpec, {}, crypto),
    generateKeyPair(keySpec, {}, crypto),
    generateKeyPair('EC-P256', {}, crypto),
  ]);

  const rootSpki = await exportSpki(rootKeys.publicKey, crypto);
  const intSpki = await exportSpki(intKeys.publicKey, crypto);
  const rootSki = await keyIdentifier(parseSpki(rootSpki).subjectPublicKey, crypto);
  const intSki = await keyIdentifier(parseSpki(intSpki).subjectPublicKey, crypto);
  const rootName = simpleName(`${p.name} Root CA`, p.name);
  const intName = simpleName(`${p.name} Intermediate CA`, p.name);
  const rootAlg = signatureAlgorithmForKey(rootKeys.privateKey);

  const rootDer = await signCertificate(
    {
      serialNumber: generateSerialNumber(crypto),
      signatureAlgorithm: rootAlg,
      issuer: rootName,
      subject: rootName,
      notBefore,
      notAfter,
      subjectPublicKeyInfo: rootSpki,
      extensions: rootExtensions(rootSki),
    },
    rootKeys.privateKey,
    crypto,
  );
  const intDer = await signCertificate(
    {
      serialNumber: generateSerialNumber(crypto),
      signatureAlgorithm: rootAlg,
      issuer: rootName,
      subject: intName,
      notBefore,
      notAfter,
      subjectPublicKeyInfo: intSpki,
      extensions: intermediateExtensions(intSki, rootSki),
    },
    rootKeys.privateKey,
    crypto,
  );

  const jwk = (await crypto.subtle.exportKey('jwk', provKeys.publicKey)) as JsonWebKey;
  const publicJwk: PublicEcJwk = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
  const kid = await jwkThumbprint(publicJwk, crypto);

  const [rootEnc, intEnc, provEnc, rootFp, intFp] = await Promise.all([
    encryptKey(rootKeys.privateKey, p.password, p.iterations, crypto),
    encryptKey(intKeys.privateKey, p.password, p.iterations, crypto),
    encryptKey(provKeys.privateKey, p.password, p.iterations, crypto),
    fingerprint(rootDer, 'SHA-256', crypto),
    fingerprint(intDer, 'SHA-256', crypto),
  ]);

  const federation: FederationRecord = {
    id: p.id,
    name: p.name,
    caUrl: p.caUrl,
    keySpec,
    status: 'active',
    publicUrl: p.publicUrl ? validatePublicUrl(p.publicUrl) : null,
    defaultCertSeconds: p.defaultCertSeconds ?? DEFAULT_CERT_SECONDS,
    allowRenewAfterExpiry: false,
    provisionerName: `fedpki:${p.id}`,
    provisionerKid: kid,
    rootFingerprint: rootFp,
    createdAt: now,
    createdBy: p.createdBy,
  };
  const base = { federationId: p.id, active: true, createdAt: now };
  const keys: CaKeyRecord[] = [
    { ...base, id: `${p.id}:root:${rootFp.slice(0, 16)}`, purpose: 'root', keySpec, encryptedKey: rootEnc, certificate: rootDer, publicJwk: null, fingerprint: rootFp, notAfter },
    { ...base, id: `${p.id}:intermediate:${intFp.slice(0, 16)}`, purpose: 'intermediate', keySpec, encryptedKey: intEnc, certificate: intDer, publicJwk: null, fingerprint: intFp, notAfter },
    { ...base, id: `${p.id}:provisioner:${kid.slice(0, 16)}`, purpose: 'provisioner', keySpec: 'EC-P256', encryptedKey: provEnc, certificate: null, publicJwk: JSON.stringify(publicJwk), fingerprint: null, notAfter: null },
  ];
  return { federation, keys };
}
