/**
 * The certificate holder's side of a renewal, shared by the browser renewal page and
 * `fedpki renew`: read the current certificate and key files, prove the key belongs to
 * the certificate, make the renewal token (and, to rekey, a new key and CSR), and
 * check what the CA sends back before trusting it. The current key is only ever used
 * to sign, here; it is never sent anywhere.
 */

import { certificatesFromPem, readCertificate, sansOf, type CertificateFields } from '../pki/certificate';
import { verifyChain } from '../pki/chain';
import { getCrypto, randomBytes } from '../pki/crypto';
import { bytesEqual } from '../pki/encoding';
import { importPkcs8, type KeySpec } from '../pki/keys';
import { toPem } from '../pki/pem';
import { PrivateKeyFormatError, readPrivateKeyPem, type LoadedPrivateKey } from '../pki/private-key';
import { verifySignedData } from '../pki/signature';
import { CaError } from '../ca/errors';
import { createX5cToken, jwsAlgorithmFor } from '../ca/x5c-token';
import { answerChain, makeKeyAndCsr, type SignResponse } from './client';
import { sansToList } from '../pki/extensions/subject-alt-name';

export interface Credentials {
  /** Leaf first, then whatever intermediates the file held. */
  chain: Uint8Array[];
  leaf: CertificateFields;
  key: LoadedPrivateKey;
  /** The current key, imported for signing only (not extractable). */
  signingKey: CryptoKey;
}

/**
 * Reads a certificate file (PEM, leaf first, as `fx pki certify` and `fedpki certify`
 * write NAME.crt) and its key file (PKCS#8, SEC1 or PKCS#1 PEM), and checks that the
 * key is the certificate's by signing with it.
 */
export async function loadCredentials(certPem: string, keyPem: string, crypto: Crypto = getCrypto()): Promise<Credentials> {
  let chain: Uint8Array[];
  let leaf: CertificateFields;
  try {
    chain = certificatesFromPem(certPem);
    if (!chain[0]) throw new Error('none');
    leaf = readCertificate(chain[0]);
  } catch {
    throw new CaError('bad_request', 'The certificate file holds no readable certificate (expected PEM, "-----BEGIN CERTIFICATE-----").');
  }
  let key: LoadedPrivateKey;
  try {
    key = readPrivateKeyPem(keyPem);
  } catch (e) {
    if (e instanceof PrivateKeyFormatError) throw new CaError('bad_request', e.message);
    throw e;
  }
  const signingKey = await importPkcs8(key.pkcs8, { extractable: false }, crypto);
  const challenge = randomBytes(32, crypto);
  const alg = jwsAlgorithmFor(signingKey);
  const params = alg === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: alg === 'ES256' ? 'SHA-256' : alg === 'ES384' ? 'SHA-384' : 'SHA-512' };
  const raw = new Uint8Array(await crypto.subtle.sign(params, signingKey, challenge as BufferSource));
  let matches = false;
  try {
    const verifyKey =
      leaf.publicKey.type === 'EC'
        ? await crypto.subtle.importKey('raw', leaf.publicKey.subjectPublicKey as BufferSource, { name: 'ECDSA', namedCurve: leaf.publicKey.curve ?? 'P-256' }, false, ['verify'])
        : await crypto.subtle.importKey('spki', leaf.publicKey.der as BufferSource, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    matches = await crypto.subtle.verify(params, verifyKey, raw as BufferSource, challenge as BufferSource);
  } catch {
    matches = false;
  }
  if (!matches) throw new CaError('bad_request', 'The key file does not belong to this certificate: choose the key that was made with it.');
  return { chain, leaf, key, signingKey };
}

/** `https://<host>/1.0/renew` or `…/1.0/rekey` for a CA origin. */
export function renewalAudience(caOrigin: string, rekey: boolean): string {
  const url = new URL(caOrigin);
  return `https://${url.host}/1.0/${rekey ? 'rekey' : 'renew'}`;
}

/** The bearer token for /renew, or for /rekey bound to the new CSR. */
export function renewalToken(creds: Credentials, caOrigin: string, csrDer?: Uint8Array, crypto: Crypto = getCrypto()): Promise<string> {
  return createX5cToken(
    {
      chain: creds.chain,
      key: creds.signingKey,
      audience: renewalAudience(caOrigin, Boolean(csrDer)),
      subject: creds.leaf.subject.commonName ?? '',
      csrDer,
    },
    crypto,
  );
}

export interface PreparedRekey {
  keys: CryptoKeyPair;
  spec: KeySpec;
  csrDer: Uint8Array;
  csrPem: string;
  spki: Uint8Array;
}

/** A new key pair (made here, extractable: it is the holder's to save) and a CSR for the certificate's names. */
export async function prepareRekey(creds: Credentials, spec: KeySpec = creds.key.spec, crypto: Crypto = getCrypto()): Promise<PreparedRekey> {
  return { spec, ...(await makeKeyAndCsr(spec, creds.leaf.subject.commonName ?? '', sansToList(sansOf(creds.leaf)), crypto)) };
}

export interface VerifiedRenewal {
  leafPem: string;
  /** Leaf then intermediate(s), to replace the certificate file. */
  chainPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

const sameNames = (a: CertificateFields, b: CertificateFields) => {
  const x = sansOf(a);
  const y = sansOf(b);
  const eq = (p: string[], q: string[]) => p.length === q.length && p.every((v) => q.includes(v));
  return a.subject.commonName === b.subject.commonName && eq(x.dns, y.dns) && eq(x.ip, y.ip) && eq(x.email, y.email) && eq(x.uri, y.uri);
};

/**
 * Checks the CA's answer: the new leaf has the same names, holds the expected key,
 * and was signed by the same intermediate key that signed the current certificate
 * (and chains to `root` when one is given).
 * @param expectedSpki - the current certificate's key (renewal) or the new one (rekey)
 */
export async function verifyRenewal(
  creds: Credentials,
  response: SignResponse,
  expectedSpki: Uint8Array,
  root?: Uint8Array,
  crypto: Crypto = getCrypto(),
): Promise<VerifiedRenewal> {
  const { chain, leafDer, intermediates } = answerChain(response);
  const leaf = readCertificate(leafDer);
  if (!bytesEqual(leaf.publicKey.der, expectedSpki)) throw new CaError('internal', 'The certificate the CA returned is not for the expected key.');
  if (!sameNames(leaf, creds.leaf)) throw new CaError('internal', 'The certificate the CA returned does not carry the same names as the current one.');
  // The issuer that signed the current certificate must have signed the new one.
  const candidates = [...creds.chain.slice(1), ...intermediates].map((d) => readCertificate(d));
  let issuer: CertificateFields | undefined;
  for (const c of candidates) {
    if (!bytesEqual(c.subjectDer, creds.leaf.issuerDer)) continue;
    const signedOld = await verifySignedData({ data: creds.leaf.tbs, algorithm: creds.leaf.signatureAlgorithm, signature: creds.leaf.signature }, c.publicKey, crypto);
    if (signedOld) {
      issuer = c;
      break;
    }
  }
  if (!issuer) throw new CaError('internal', 'The CA did not send the intermediate certificate that issued the current certificate.');
  const signedNew = await verifySignedData({ data: leaf.tbs, algorithm: leaf.signatureAlgorithm, signature: leaf.signature }, issuer.publicKey, crypto);
  if (!signedNew) throw new CaError('internal', 'The new certificate was not signed by the certificate authority that issued the current one.');
  if (root) {
    const check = await verifyChain({ leaf: leafDer, intermediates, root }, crypto);
    if (!check.ok) throw new CaError('internal', `The new certificate does not chain to the root: ${check.message}`);
  }
  const pems = chain.map((d) => toPem(d, 'CERTIFICATE'));
  return { leafPem: pems[0]!, chainPem: pems.join(''), serialNumber: leaf.serialNumber, notBefore: leaf.notBefore, notAfter: leaf.notAfter };
}
