/**
 * The Online Certificate Status Protocol (RFC 6960 §4; the module uses EXPLICIT tags):
 *
 *   OCSPRequest ::= SEQUENCE {
 *     tbsRequest                  TBSRequest,
 *     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
 *   TBSRequest ::= SEQUENCE {
 *     version             [0]     EXPLICIT Version DEFAULT v1,
 *     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
 *     requestList                 SEQUENCE OF Request,
 *     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
 *   Request ::= SEQUENCE {
 *     reqCert                     CertID,
 *     singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 *   CertID ::= SEQUENCE {
 *     hashAlgorithm       AlgorithmIdentifier,
 *     issuerNameHash      OCTET STRING, -- hash of the issuer's Name DER
 *     issuerKeyHash       OCTET STRING, -- hash of the issuer's public key BIT STRING value
 *     serialNumber        CertificateSerialNumber }
 *
 *   OCSPResponse ::= SEQUENCE {
 *     responseStatus         OCSPResponseStatus,  -- ENUMERATED
 *     responseBytes      [0] EXPLICIT ResponseBytes OPTIONAL }
 *   ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 *   BasicOCSPResponse ::= SEQUENCE {
 *     tbsResponseData      ResponseData,
 *     signatureAlgorithm   AlgorithmIdentifier,
 *     signature            BIT STRING,
 *     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 *   ResponseData ::= SEQUENCE {
 *     version              [0] EXPLICIT Version DEFAULT v1,
 *     responderID              ResponderID,     -- byName [1] Name | byKey [2] KeyHash
 *     producedAt               GeneralizedTime,
 *     responses                SEQUENCE OF SingleResponse,
 *     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 *   SingleResponse ::= SEQUENCE {
 *     certID                       CertID,
 *     certStatus                   CertStatus,  -- good [0] NULL | revoked [1] RevokedInfo | unknown [2] NULL
 *     thisUpdate                   GeneralizedTime,
 *     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
 *     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
 *   RevokedInfo ::= SEQUENCE {
 *     revocationTime              GeneralizedTime,
 *     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
 *
 * CertStatus and RevokedInfo's CHOICE alternatives are IMPLICIT (the RFC says so
 * for them explicitly). The nonce (§4.4.1) is copied from the request's extension.
 */

import { algorithmIdentifier, signatureAlgorithmByOid, type SignatureAlgorithm } from './algorithms';
import { digest, getCrypto } from './crypto';
import {
  DerError,
  TAG,
  bitString,
  children,
  contentOf,
  enumerated,
  expectTag,
  explicit,
  generalizedTime,
  nullValue,
  octetString,
  oid,
  rawOf,
  readBitString,
  readBoolean,
  readOid,
  readRoot,
  readSmallInteger,
  readTime,
  readUnsignedInteger,
  sequence,
  sequenceOf,
  tlv,
  unsignedInteger,
  type DerNode,
} from './der';
import { fromHex, toHex } from './encoding';
import { extension } from './extensions/extension';
import * as OID from './oids';
import { readAlgorithmOid } from './spki';
import { signData } from './x509';

export type OcspHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_BY_OID: Record<string, OcspHash> = {
  [OID.id_sha1]: 'SHA-1',
  [OID.id_sha256]: 'SHA-256',
  [OID.id_sha384]: 'SHA-384',
  [OID.id_sha512]: 'SHA-512',
};
const OID_BY_HASH: Record<OcspHash, string> = { 'SHA-1': OID.id_sha1, 'SHA-256': OID.id_sha256, 'SHA-384': OID.id_sha384, 'SHA-512': OID.id_sha512 };

export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;

export interface OcspCertId {
  /** The CertID TLV as the client sent it, echoed back unchanged in the answer. */
  der: Uint8Array;
  hashAlgorithmOid: string;
  /** Undefined for a hash FedPKI does not compute. */
  hash?: OcspHash;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Lowercase hex of the serial's magnitude. */
  serialNumber: string;
}

export interface ParsedOcspRequest {
  requests: OcspCertId[];
  /** The nonce extension's extnValue content, to copy into the answer. */
  nonce?: Uint8Array;
  signed: boolean;
}

/** RFC 8954 §2.1 (RFC 9654): nonces from 1 to 128 octets. */
export const MAX_OCSP_NONCE_BYTES = 128;

/** Upper bound on a request: one with a handful of CertIDs and a nonce is ~100 bytes. */
export const MAX_OCSP_REQUEST_BYTES = 16 * 1024;

function readCertId(buf: Uint8Array, node: DerNode): OcspCertId {
  const [alg, nameHash, keyHash, serial, ...extra] = children(buf, expectTag(node, TAG.SEQUENCE));
  if (!alg || !nameHash || !keyHash || !serial || extra.length) throw new DerError('bad CertID');
  const hashAlgorithmOid = readAlgorithmOid(buf, alg);
  return {
    der: rawOf(buf, node),
    hashAlgorithmOid,
    hash: HASH_BY_OID[hashAlgorithmOid],
    issuerNameHash: contentOf(buf, expectTag(nameHash, TAG.OCTET_STRING)),
    issuerKeyHash: contentOf(buf, expectTag(keyHash, TAG.OCTET_STRING)),
    serialNumber: toHex(readUnsignedInteger(buf, serial)),
  };
}

function readExtensionList(buf: Uint8Array, node: DerNode): { oid: string; critical: boolean; value: Uint8Array }[] {
  return children(buf, expectTag(node, TAG.SEQUENCE)).map((ext) => {
    const e = children(buf, expectTag(ext, TAG.SEQUENCE));
    if (e.length < 2 || e.length > 3) throw new DerError('bad Extension');
    return { oid: readOid(buf, e[0]!), critical: e.length === 3 ? readBoolean(buf, e[1]!) : false, value: contentOf(buf, expectTag(e[e.length - 1]!, TAG.OCTET_STRING)) };
  });
}

/** Parses a DER OCSPRequest; throws DerError when it is malformed. */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (der.length > MAX_OCSP_REQUEST_BYTES) throw new DerError('OCSP request too large');
  const root = readRoot(der, TAG.SEQUENCE);
  const [tbs, sig, ...extra] = children(der, root);
  if (!tbs || extra.length || (sig && sig.tag !== 0xa0)) throw new DerError('bad OCSPRequest');
  const parts = children(der, expectTag(tbs, TAG.SEQUENCE));
  let i = 0;
  if (parts[i]?.tag === 0xa0) {
    const [v] = children(der, parts[i]!);
    if (!v || readSmallInteger(der, v) !== 0) throw new DerError('unsupported OCSP request version');
    i++;
  }
  if (parts[i]?.tag === 0xa1) i++; // requestorName: informational only
  const list = parts[i++];
  if (!list) throw new DerError('OCSP request without a request list');
  const requests = children(der, expectTag(list, TAG.SEQUENCE)).map((r) => {
    const [certId] = children(der, expectTag(r, TAG.SEQUENCE));
    if (!certId) throw new DerError('bad Request');
    return readCertId(der, certId);
  });
  if (requests.length === 0) throw new DerError('empty OCSP request list');
  let nonce: Uint8Array | undefined;
  const exts = parts[i];
  if (exts) {
    if (exts.tag !== 0xa2) throw new DerError('bad TBSRequest');
    const [seq] = children(der, exts);
    if (!seq) throw new DerError('bad requestExtensions');
    const found = readExtensionList(der, seq).find((e) => e.oid === OID.id_pkix_ocsp_nonce);
    if (found) {
      // Nonce ::= OCTET STRING. RFC 8954 §2.1 (as RFC 9654 revises it): a responder
      // must refuse a nonce of 0 or more than 128 octets as malformedRequest, rather
      // than answer without it (an answer the client could not bind to its request).
      const inner = readRoot(found.value, TAG.OCTET_STRING);
      const length = inner.end - inner.contentStart;
      if (length < 1 || length > MAX_OCSP_NONCE_BYTES) throw new DerError(`OCSP nonce of ${length} octets`);
      nonce = found.value;
    }
  }
  return { requests, nonce, signed: Boolean(sig) };
}

export interface CertIdParams {
  hash?: OcspHash;
  /** The issuer's Name DER. */
  issuerName: Uint8Array;
  /** The issuer's subjectPublicKey BIT STRING value. */
  issuerPublicKey: Uint8Array;
  serialNumber: string;
}

/** Builds a CertID (default SHA-1, which OpenSSL and most clients send). */
export async function createCertId(p: CertIdParams, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  const hash = p.hash ?? 'SHA-1';
  const [nameHash, keyHash] = await Promise.all([digest(hash, p.issuerName, crypto), digest(hash, p.issuerPublicKey, crypto)]);
  return sequence(sequence(oid(OID_BY_HASH[hash]), nullValue()), octetString(nameHash), octetString(keyHash), unsignedInteger(fromHex(p.serialNumber.length % 2 ? `0${p.serialNumber}` : p.serialNumber)));
}

/** Builds an unsigned OCSPRequest for the given CertIDs (clients and tests). */
export function createOcspRequest(certIds: readonly Uint8Array[], nonce?: Uint8Array): Uint8Array {
  const parts = [sequence(...certIds.map((id) => sequence(id)))];
  if (nonce) parts.push(explicit(2, sequence(extension(OID.id_pkix_ocsp_nonce, false, octetString(nonce)))));
  return sequence(sequence(...parts));
}

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reasonCode?: number | null }
  | { status: 'unknown' };

export interface SingleResponseParams {
  /** The CertID as the request carried it. */
  certId: Uint8Array;
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface BasicResponseParams {
  signatureAlgorithm: SignatureAlgorithm;
  /** SHA-1 of the responder's subjectPublicKey BIT STRING value (ResponderID byKey). */
  responderKeyHash: Uint8Array;
  producedAt: Date;
  responses: readonly SingleResponseParams[];
  /** The request's nonce extension value, echoed. */
  nonce?: Uint8Array;
  /** Certificates that help verify the signer (a delegated responder's certificate). */
  certs?: readonly Uint8Array[];
}

function certStatus(s: OcspCertStatus): Uint8Array {
  switch (s.status) {
    case 'good':
      return Uint8Array.of(0x80, 0);
    case 'unknown':
      return Uint8Array.of(0x82, 0);
    case 'revoked': {
      const parts = [generalizedTime(s.revokedAt)];
      if (s.reasonCode !== undefined && s.reasonCode !== null) parts.push(explicit(0, enumerated(s.reasonCode)));
      return tlv(0xa1, ...parts);
    }
  }
}

export function encodeSingleResponse(r: SingleResponseParams): Uint8Array {
  const parts = [r.certId, certStatus(r.status), generalizedTime(r.thisUpdate)];
  if (r.nextUpdate) parts.push(explicit(0, generalizedTime(r.nextUpdate)));
  return sequence(...parts);
}

export function encodeResponseData(p: BasicResponseParams): Uint8Array {
  const parts = [explicit(2, octetString(p.responderKeyHash)), generalizedTime(p.producedAt), sequenceOf(p.responses.map(encodeSingleResponse))];
  if (p.nonce) parts.push(explicit(1, sequence(extension(OID.id_pkix_ocsp_nonce, false, p.nonce))));
  return sequence(...parts);
}

function wrapBasic(basic: Uint8Array): Uint8Array {
  return sequence(enumerated(OCSP_RESPONSE_STATUS.successful), explicit(0, sequence(oid(OID.id_pkix_ocsp_basic), octetString(basic))));
}

/**
 * Encodes and signs a successful OCSPResponse carrying a BasicOCSPResponse.
 * @param signingKey - the responder's private key (the issuing CA's, or a delegated responder's)
 */
export async function signOcspResponse(p: BasicResponseParams, signingKey: CryptoKey, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  const tbs = encodeResponseData(p);
  const signature = await signData(tbs, p.signatureAlgorithm, signingKey, crypto);
  const parts = [tbs, algorithmIdentifier(p.signatureAlgorithm), bitString(signature)];
  if (p.certs?.length) parts.push(explicit(0, sequence(...p.certs)));
  return wrapBasic(sequence(...parts));
}

/** An unsigned OCSPResponse with an error status (§2.3). */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  return sequence(enumerated(OCSP_RESPONSE_STATUS[status]));
}

export interface ParsedSingleResponse {
  certId: OcspCertId;
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedOcspResponse {
  status: OcspResponseStatus;
  responderKeyHash?: Uint8Array;
  producedAt?: Date;
  responses: ParsedSingleResponse[];
  nonce?: Uint8Array;
  tbs?: Uint8Array;
  signatureAlgorithm?: SignatureAlgorithm;
  signature?: Uint8Array;
  certs: Uint8Array[];
}

/** Parses an OCSPResponse (for clients and tests). */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  const [statusNode, bytesNode] = children(der, readRoot(der, TAG.SEQUENCE));
  if (!statusNode) throw new DerError('bad OCSPResponse');
  const code = readSmallInteger(der, expectTag(statusNode, TAG.ENUMERATED));
  const status = (Object.keys(OCSP_RESPONSE_STATUS) as OcspResponseStatus[]).find((k) => OCSP_RESPONSE_STATUS[k] === code);
  if (!status) throw new DerError('unknown OCSP response status');
  const out: ParsedOcspResponse = { status, responses: [], certs: [] };
  if (!bytesNode) return out;
  const [rb] = children(der, bytesNode);
  const [typeNode, respNode] = children(der, expectTag(rb!, TAG.SEQUENCE));
  if (readOid(der, typeNode!) !== OID.id_pkix_ocsp_basic) throw new DerError('not a basic OCSP response');
  const basic = contentOf(der, expectTag(respNode!, TAG.OCTET_STRING));
  const [tbsNode, algNode, sigNode, certsNode] = children(basic, readRoot(basic, TAG.SEQUENCE));
  out.tbs = rawOf(basic, tbsNode!);
  out.signatureAlgorithm = signatureAlgorithmByOid(readAlgorithmOid(basic, algNode!));
  out.signature = readBitString(basic, sigNode!).bytes;
  if (certsNode) out.certs = children(basic, children(basic, certsNode)[0]!).map((n) => rawOf(basic, n));
  const parts = children(basic, tbsNode!);
  let i = parts[0]?.tag === 0xa0 ? 1 : 0;
  const responder = parts[i++]!;
  if (responder.tag === 0xa2) out.responderKeyHash = contentOf(basic, children(basic, responder)[0]!);
  out.producedAt = readTime(basic, parts[i++]!);
  for (const sr of children(basic, parts[i++]!)) {
    const [idNode, statusChoice, thisNode, ...rest] = children(basic, sr);
    let s: OcspCertStatus;
    if (statusChoice!.tag === 0x80) s = { status: 'good' };
    else if (statusChoice!.tag === 0x82) s = { status: 'unknown' };
    else {
      const [timeNode, reasonNode] = children(basic, statusChoice!);
      s = { status: 'revoked', revokedAt: readTime(basic, timeNode!) };
      if (reasonNode) s.reasonCode = readSmallInteger(basic, children(basic, reasonNode)[0]!);
    }
    const single: ParsedSingleResponse = { certId: readCertId(basic, idNode!), status: s, thisUpdate: readTime(basic, thisNode!) };
    const next = rest.find((n) => n.tag === 0xa0);
    if (next) single.nextUpdate = readTime(basic, children(basic, next)[0]!);
    out.responses.push(single);
  }
  const exts = parts[i];
  if (exts?.tag === 0xa1) {
    const nonce = readExtensionList(basic, children(basic, exts)[0]!).find((e) => e.oid === OID.id_pkix_ocsp_nonce);
    if (nonce) out.nonce = nonce.value;
  }
  return out;
}
