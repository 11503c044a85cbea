/**
 * The enrollee's side of a token enrollment, shared by the browser page and
 * `fedpki certify`: read the token, make the key and the CSR locally, and check what
 * the CA sends back before trusting it. Transport and storage are the caller's.
 */

import { bytesEqual, toHex } from '../pki/encoding';
import { readCertificate, certificatesFromPem } from '../pki/certificate';
import { verifyChain } from '../pki/chain';
import { createCsr } from '../pki/csr';
import { getCrypto, sha256 } from '../pki/crypto';
import { exportSpki, generateKeyPair, type KeySpec } from '../pki/keys';
import { toPem } from '../pki/pem';
import { inspectToken, unwrapToken, type TokenClaims } from '../ca/token';
import { CaError } from '../ca/errors';

export interface InspectedToken {
  claims: TokenClaims;
  jwt: string;
  rootDer: Uint8Array;
  rootPem: string;
  /** SHA-256 of the root inside the token, lowercase hex. */
  rootFingerprint: string;
  /** The CA origin the token points at (its `aud` without the path). */
  caOrigin: string;
  expiresAt: Date;
}

/**
 * Decodes an OpenFL/FedPKI token and checks it is internally consistent: the root it
 * carries is the one its `sha` claim names. Nothing is sent anywhere.
 */
export async function readEnrollmentToken(token: string, now = new Date(), crypto: Crypto = getCrypto()): Promise<InspectedToken> {
  if (token.trim().split('.').length !== 2) {
    throw new CaError('token_malformed', 'This is not a whole enrollment token: it is two base64 parts joined by one dot. Copy it again, completely.');
  }
  const { jwt } = unwrapToken(token);
  const { claims, rootDer, rootPem } = inspectToken(token);
  if (!rootDer || !rootPem) throw new CaError('token_malformed', 'The token carries no root certificate.');
  const rootFingerprint = toHex(await sha256(rootDer, crypto));
  if (rootFingerprint !== claims.sha) {
    throw new CaError('token_claims_invalid', "The token's root certificate does not match its fingerprint: the token was altered or is not from FedPKI.");
  }
  const expiresAt = new Date(claims.exp * 1000);
  if (expiresAt.getTime() < now.getTime()) throw new CaError('token_expired', `This token expired at ${expiresAt.toLocaleString()}. Ask your administrator for a new one.`);
  let caOrigin: string;
  try {
    const aud = new URL(claims.aud);
    if (aud.protocol !== 'https:') throw new Error('not https');
    caOrigin = aud.origin;
  } catch {
    throw new CaError('token_claims_invalid', 'The token does not say which certificate authority to contact.');
  }
  return { claims, jwt, rootDer, rootPem, rootFingerprint, caOrigin, expiresAt };
}

export interface PreparedEnrollment {
  keys: CryptoKeyPair;
  csrDer: Uint8Array;
  csrPem: string;
  spki: Uint8Array;
}

/** A key pair made here (extractable: it is the holder's to save) and a CSR for `commonName` and `sans`. */
export async function makeKeyAndCsr(spec: KeySpec, commonName: string, sans: readonly string[], crypto: Crypto = getCrypto()): Promise<PreparedEnrollment> {
  const keys = await generateKeyPair(spec, { extractable: true }, crypto);
  const csrDer = await createCsr({ keys, commonName, sans: [...sans] }, crypto);
  return { keys, csrDer, csrPem: toPem(csrDer, 'CERTIFICATE REQUEST'), spki: await exportSpki(keys.publicKey, crypto) };
}

/** Makes the key pair and the CSR for the token's names. */
export async function prepareEnrollment(token: InspectedToken, keySpec: KeySpec = 'EC-P384', crypto: Crypto = getCrypto()): Promise<PreparedEnrollment> {
  return makeKeyAndCsr(keySpec, token.claims.sub, token.claims.sans, crypto);
}

export interface SignResponse {
  crt: string;
  ca: string;
  certChain?: string[];
}

/** The certificates of a /sign, /renew or /rekey answer, leaf first (certChain, else crt and ca). */
export function answerChain(response: SignResponse): { chain: Uint8Array[]; leafDer: Uint8Array; intermediates: Uint8Array[] } {
  const chain = (response.certChain?.length ? response.certChain : [response.crt, response.ca]).flatMap(certificatesFromPem);
  const [leafDer, ...intermediates] = chain;
  if (!leafDer) throw new CaError('internal', 'The CA answered without a certificate.');
  return { chain, leafDer, intermediates };
}

export interface VerifiedEnrollment {
  leafPem: string;
  /** Leaf then intermediate(s), as `fx pki certify` writes NAME.crt. */
  chainPem: string;
  intermediatesPem: string[];
  rootPem: string;
  serialNumber: string;
  notAfter: Date;
}

/**
 * Checks the CA's answer: the chain validates to the token's root, the leaf holds
 * the key just made, and its subject is the token's.
 */
export async function verifyEnrollment(
  token: InspectedToken,
  prepared: PreparedEnrollment,
  response: SignResponse,
  crypto: Crypto = getCrypto(),
): Promise<VerifiedEnrollment> {
  const { chain, leafDer, intermediates } = answerChain(response);
  const leaf = readCertificate(leafDer);
  if (!bytesEqual(leaf.publicKey.der, prepared.spki)) throw new CaError('internal', 'The certificate the CA returned is not for the key made here.');
  if (leaf.subject.commonName !== token.claims.sub) throw new CaError('internal', `The certificate names "${leaf.subject.commonName}", not "${token.claims.sub}".`);
  const check = await verifyChain({ leaf: leafDer, intermediates, root: token.rootDer }, crypto);
  if (!check.ok) throw new CaError('internal', `The certificate does not chain to the token's root: ${check.message}`);
  const pems = chain.map((d) => toPem(d, 'CERTIFICATE'));
  return {
    leafPem: pems[0]!,
    chainPem: pems.join(''),
    intermediatesPem: pems.slice(1),
    rootPem: toPem(token.rootDer, 'CERTIFICATE'),
    serialNumber: leaf.serialNumber,
    notAfter: leaf.notAfter,
  };
}
