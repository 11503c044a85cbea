/**
 * Reading certificates. `readCertificate` is the strict DER reader the CA uses for its
 * own material and for peer certificates; `describeCertificate` decodes everything a
 * person wants to see, with pkijs, for the portal, the CLI and the enrollment page.
 */

import * as pkijs from 'pkijs';
import { signatureAlgorithmByOid, type SignatureAlgorithm } from './algorithms';
import { digest, getCrypto } from './crypto';
import { DerError, TAG, children, contentOf, expectTag, readBitString, readBoolean, readOid, readRoot, readSmallInteger, readTime, readUnsignedInteger, rawOf } from './der';
import { toArrayBuffer, toHex } from './encoding';
import { pkiEngine } from './engine';
import { KEY_USAGE_BITS, type KeyUsageName } from './extensions/key-usage';
import { formatIp, parseGeneralNames, type SubjectAltNames } from './extensions/subject-alt-name';
import { parseName, type ParsedName } from './name';
import * as OID from './oids';
import { fromPem, pemBlocks } from './pem';
import { describePublicKey, parseSpki, readAlgorithmOid, type PublicKeyInfo } from './spki';

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface CertificateFields {
  der: Uint8Array;
  tbs: Uint8Array;
  version: number;
  /** Lowercase hex of the serial's magnitude, without leading zero bytes. */
  serialNumber: string;
  signatureAlgorithmOid: string;
  signatureAlgorithm?: SignatureAlgorithm;
  issuer: ParsedName;
  issuerDer: Uint8Array;
  subject: ParsedName;
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyInfo;
  extensions: CertificateExtension[];
  signature: Uint8Array;
}

/** Parses a DER certificate strictly; throws DerError when it is malformed. */
export function readCertificate(der: Uint8Array): CertificateFields {
  const root = readRoot(der, TAG.SEQUENCE);
  const [tbsNode, algNode, sigNode, ...extra] = children(der, root);
  if (!tbsNode || !algNode || !sigNode || extra.length) throw new DerError('bad Certificate');
  expectTag(tbsNode, TAG.SEQUENCE);
  const parts = children(der, tbsNode);
  let i = 0;
  let version = 0;
  if (parts[0]?.tag === 0xa0) {
    const inner = children(der, parts[0]);
    if (inner.length !== 1) throw new DerError('bad version');
    version = readSmallInteger(der, inner[0]!);
    i = 1;
  }
  const [serialNode, sigAlgNode, issuerNode, validityNode, subjectNode, spkiNode, ...rest] = parts.slice(i);
  if (!serialNode || !sigAlgNode || !issuerNode || !validityNode || !subjectNode || !spkiNode) throw new DerError('bad TBSCertificate');
  const serial = readUnsignedInteger(der, serialNode);
  expectTag(validityNode, TAG.SEQUENCE);
  const [nb, na] = children(der, validityNode);
  if (!nb || !na) throw new DerError('bad Validity');
  const extensions: CertificateExtension[] = [];
  for (const node of rest) {
    if (node.tag !== 0xa3) continue; // issuer/subject unique IDs are ignored
    const [seq] = children(der, node);
    if (!seq) throw new DerError('bad Extensions');
    expectTag(seq, TAG.SEQUENCE);
    for (const ext of children(der, seq)) {
      const e = children(der, expectTag(ext, TAG.SEQUENCE));
      if (e.length < 2 || e.length > 3) throw new DerError('bad Extension');
      const value = e[e.length - 1]!;
      expectTag(value, TAG.OCTET_STRING);
      extensions.push({
        oid: readOid(der, e[0]!),
        critical: e.length === 3 ? readBoolean(der, e[1]!) : false,
        value: contentOf(der, value),
      });
    }
  }
  const signatureAlgorithmOid = readAlgorithmOid(der, algNode);
  if (readAlgorithmOid(der, sigAlgNode) !== signatureAlgorithmOid) throw new DerError('signature algorithms disagree');
  return {
    der,
    tbs: rawOf(der, tbsNode),
    version: version + 1,
    serialNumber: toHex(serial),
    signatureAlgorithmOid,
    signatureAlgorithm: signatureAlgorithmByOid(signatureAlgorithmOid),
    issuer: parseName(der, issuerNode),
    issuerDer: rawOf(der, issuerNode),
    subject: parseName(der, subjectNode),
    subjectDer: rawOf(der, subjectNode),
    notBefore: readTime(der, nb),
    notAfter: readTime(der, na),
    publicKey: parseSpki(der, spkiNode),
    extensions,
    signature: readBitString(der, sigNode).bytes,
  };
}

export function readCertificatePem(pem: string): CertificateFields {
  const der = fromPem(pem, 'CERTIFICATE');
  if (!der) throw new DerError('no CERTIFICATE block found');
  return readCertificate(der);
}

/** Every certificate in a PEM bundle, in order. */
export function certificatesFromPem(pem: string): Uint8Array[] {
  return pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
}

export function findExtension(cert: CertificateFields, oid: string): CertificateExtension | undefined {
  return cert.extensions.find((e) => e.oid === oid);
}

/** The SubjectKeyIdentifier value, if present. */
export function subjectKeyIdOf(cert: CertificateFields): Uint8Array | undefined {
  const ext = findExtension(cert, OID.id_ce_subjectKeyIdentifier);
  if (!ext) return undefined;
  const node = readRoot(ext.value, TAG.OCTET_STRING);
  return contentOf(ext.value, node);
}

export function sansOf(cert: CertificateFields): SubjectAltNames {
  const ext = findExtension(cert, OID.id_ce_subjectAltName);
  if (!ext) return { dns: [], ip: [], email: [], uri: [] };
  const { other: _other, ...sans } = parseGeneralNames(ext.value);
  return sans;
}

export async function fingerprint(der: Uint8Array, hash: 'SHA-256' | 'SHA-1' = 'SHA-256', crypto: Crypto = getCrypto()): Promise<string> {
  return toHex(await digest(hash, der, crypto));
}

// ------------------------------------------------------------ description (pkijs)

export interface CertificateInfo {
  serialNumber: string;
  subject: string;
  commonName?: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  sans: string[];
  keyUsage: KeyUsageName[];
  extendedKeyUsage: string[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  subjectKeyId?: string;
  authorityKeyId?: string;
  publicKey: string;
  signatureAlgorithm: string;
  fingerprintSha256: string;
  fingerprintSha1: string;
  crlDistributionPoints: string[];
  ocsp: string[];
  caIssuers: string[];
  selfSigned: boolean;
}

const EKU_NAMES: Record<string, string> = {
  [OID.id_kp_serverAuth]: 'serverAuth',
  [OID.id_kp_clientAuth]: 'clientAuth',
  [OID.id_kp_OCSPSigning]: 'OCSPSigning',
};

function generalNameText(gn: pkijs.GeneralName): string {
  switch (gn.type) {
    case 1:
      return `email:${gn.value}`;
    case 2:
      return `DNS:${gn.value}`;
    case 6:
      return `URI:${gn.value}`;
    case 7: {
      const bytes = new Uint8Array((gn.value as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
      return `IP:${formatIp(bytes)}`;
    }
    default:
      return `other:${gn.type}`;
  }
}

/**
 * Decodes a certificate for display with pkijs (an independent parser from the one
 * the CA signs with).
 */
export async function describeCertificate(der: Uint8Array, crypto: Crypto = getCrypto()): Promise<CertificateInfo> {
  pkiEngine(crypto);
  const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
  const fields = readCertificate(der);
  const info: CertificateInfo = {
    serialNumber: fields.serialNumber,
    subject: fields.subject.text,
    commonName: fields.subject.commonName,
    issuer: fields.issuer.text,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    sans: [],
    keyUsage: [],
    extendedKeyUsage: [],
    publicKey: describePublicKey(fields.publicKey),
    signatureAlgorithm: fields.signatureAlgorithm?.name ?? fields.signatureAlgorithmOid,
    fingerprintSha256: await fingerprint(der, 'SHA-256', crypto),
    fingerprintSha1: await fingerprint(der, 'SHA-1', crypto),
    crlDistributionPoints: [],
    ocsp: [],
    caIssuers: [],
    selfSigned: fields.issuer.text === fields.subject.text,
  };
  for (const ext of cert.extensions ?? []) {
    const parsed = ext.parsedValue as unknown;
    switch (ext.extnID) {
      case OID.id_ce_subjectAltName:
        info.sans = (parsed as pkijs.AltName).altNames.map(generalNameText);
        break;
      case OID.id_ce_keyUsage: {
        const bits = new Uint8Array((parsed as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
        info.keyUsage = (Object.keys(KEY_USAGE_BITS) as KeyUsageName[]).filter((name) => {
          const bit = KEY_USAGE_BITS[name];
          return ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
        });
        break;
      }
      case OID.id_ce_extKeyUsage:
        info.extendedKeyUsage = (parsed as pkijs.ExtKeyUsage).keyPurposes.map((p) => EKU_NAMES[p] ?? p);
        break;
      case OID.id_ce_basicConstraints: {
        const bc = parsed as pkijs.BasicConstraints;
        info.basicConstraints = { ca: Boolean(bc.cA) };
        if (bc.pathLenConstraint !== undefined) {
          const pl = bc.pathLenConstraint;
          info.basicConstraints.pathLength = typeof pl === 'number' ? pl : pl.valueBlock.valueDec;
        }
        break;
      }
      case OID.id_ce_subjectKeyIdentifier:
        info.subjectKeyId = toHex(new Uint8Array((parsed as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView));
        break;
      case OID.id_ce_authorityKeyIdentifier: {
        const aki = parsed as pkijs.AuthorityKeyIdentifier;
        if (aki.keyIdentifier) info.authorityKeyId = toHex(new Uint8Array(aki.keyIdentifier.valueBlock.valueHexView));
        break;
      }
      case OID.id_ce_cRLDistributionPoints:
        for (const dp of (parsed as pkijs.CRLDistributionPoints).distributionPoints) {
          const names = dp.distributionPoint;
          if (Array.isArray(names)) info.crlDistributionPoints.push(...names.filter((n) => n.type === 6).map((n) => String(n.value)));
        }
        break;
      case OID.id_pe_authorityInfoAccess:
        for (const ad of (parsed as pkijs.InfoAccess).accessDescriptions) {
          const loc = String(ad.accessLocation.value);
          if (ad.accessMethod === OID.id_ad_ocsp) info.ocsp.push(loc);
          if (ad.accessMethod === OID.id_ad_caIssuers) info.caIssuers.push(loc);
        }
        break;
    }
  }
  return info;
}

/** Serial text forms: hex with colons as OpenSSL prints, and decimal as step uses. */
export function serialToDecimal(hex: string): string {
  return BigInt(`0x${hex || '0'}`).toString(10);
}

/**
 * Canonical lowercase hex of a serial typed by a person or sent by a client:
 * "0x…" and colon/space-separated hex are always hex; a bare string is read in
 * `base` (step's /revoke sends decimal; the portal and CLI show hex).
 */
export function normalizeSerial(input: string, base: 10 | 16 = 16): string | undefined {
  const s = input.trim();
  let value: bigint;
  try {
    if (/^0x[0-9a-fA-F]+$/i.test(s)) value = BigInt(s);
    else if (/^[0-9a-fA-F]{2}([: ][0-9a-fA-F]{2})+$/.test(s)) value = BigInt(`0x${s.replace(/[: ]/g, '')}`);
    else if (base === 10 && /^\d+$/.test(s)) value = BigInt(s);
    else if (/^[0-9a-fA-F]+$/.test(s)) value = BigInt(`0x${s}`);
    else return undefined;
  } catch {
    return undefined;
  }
  if (value <= 0n) return undefined;
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return hex;
}
