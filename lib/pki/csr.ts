/**
 * PKCS#10 certification requests (RFC 2986):
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo  CertificationRequestInfo,
 *     signatureAlgorithm        AlgorithmIdentifier,
 *     signature                 BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version       INTEGER { v1(0) },
 *     subject       Name,
 *     subjectPKInfo SubjectPublicKeyInfo,
 *     attributes    [0] IMPLICIT SET OF Attribute }
 *
 * `createCsr` builds one with pkijs (in the browser and the CLI); `parseCsr` reads one
 * with the strict DER reader, which is what the signing path needs; unit tests hold
 * the two to the same answers.
 */

import * as pkijs from 'pkijs';
import { signatureAlgorithmByOid, type HashName, type SignatureAlgorithm } from './algorithms';
import { getCrypto } from './crypto';
import { DerError, TAG, children, contentOf, expectTag, readBitString, readBoolean, readOid, readRoot, readSmallInteger, rawOf } from './der';
import { derToP1363, CURVE_FIELD_BYTES } from './ecdsa';
import { toArrayBuffer } from './encoding';
import { pkiEngine } from './engine';
import { generalNames, parseGeneralNames, splitSans, sanCount, type SubjectAltNames } from './extensions/subject-alt-name';
import { encodeName, parseName, type ParsedName } from './name';
import * as OID from './oids';
import { fromPem } from './pem';
import { importVerifyKey, parseSpki, readAlgorithmOid, type PublicKeyInfo } from './spki';

export interface RequestedExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface ParsedCsr {
  der: Uint8Array;
  /** The CertificationRequestInfo TLV: the bytes the signature covers. */
  info: Uint8Array;
  version: number;
  subject: ParsedName;
  publicKey: PublicKeyInfo;
  signatureAlgorithmOid: string;
  /** Undefined when the algorithm is not one FedPKI verifies (SHA-1, PSS, EdDSA …). */
  signatureAlgorithm?: SignatureAlgorithm;
  signature: Uint8Array;
  sans: SubjectAltNames & { other: number };
  extensions: RequestedExtension[];
}

/** Upper bound on what a CSR may weigh; an RSA-4096 request with many SANs is ~2 KiB. */
export const MAX_CSR_BYTES = 16 * 1024;

/** Parses a DER CSR; throws DerError on anything malformed. */
export function parseCsr(der: Uint8Array): ParsedCsr {
  if (der.length > MAX_CSR_BYTES) throw new DerError('CSR too large');
  const root = readRoot(der, TAG.SEQUENCE);
  const [infoNode, algNode, sigNode, ...extra] = children(der, root);
  if (!infoNode || !algNode || !sigNode || extra.length) throw new DerError('bad CertificationRequest');
  expectTag(infoNode, TAG.SEQUENCE);
  const [versionNode, subjectNode, spkiNode, attrsNode, ...more] = children(der, infoNode);
  if (!versionNode || !subjectNode || !spkiNode || more.length) throw new DerError('bad CertificationRequestInfo');
  const version = readSmallInteger(der, versionNode);
  if (version !== 0) throw new DerError('unsupported CSR version');
  const subject = parseName(der, subjectNode);
  const publicKey = parseSpki(der, spkiNode);

  const extensions: RequestedExtension[] = [];
  if (attrsNode) {
    if (attrsNode.tag !== 0xa0) throw new DerError('bad CSR attributes');
    for (const attr of children(der, attrsNode)) {
      expectTag(attr, TAG.SEQUENCE);
      const [typeNode, valuesNode] = children(der, attr);
      if (!typeNode || !valuesNode) throw new DerError('bad CSR attribute');
      expectTag(valuesNode, TAG.SET);
      if (readOid(der, typeNode) !== OID.pkcs_9_at_extensionRequest) continue;
      const values = children(der, valuesNode);
      if (values.length !== 1) throw new DerError('extensionRequest must hold one value');
      expectTag(values[0]!, TAG.SEQUENCE);
      for (const ext of children(der, values[0]!)) {
        expectTag(ext, TAG.SEQUENCE);
        const parts = children(der, ext);
        if (parts.length < 2 || parts.length > 3) throw new DerError('bad Extension');
        const extOid = readOid(der, parts[0]!);
        const critical = parts.length === 3 ? readBoolean(der, parts[1]!) : false;
        const valueNode = parts[parts.length - 1]!;
        expectTag(valueNode, TAG.OCTET_STRING);
        if (extensions.some((e) => e.oid === extOid)) throw new DerError(`extension ${extOid} appears twice`);
        extensions.push({ oid: extOid, critical, value: contentOf(der, valueNode) });
      }
    }
  }

  const signatureAlgorithmOid = readAlgorithmOid(der, algNode);
  const { bytes: signature, unusedBits } = readBitString(der, sigNode);
  if (unusedBits !== 0) throw new DerError('signature BIT STRING has unused bits');

  const sanExt = extensions.find((e) => e.oid === OID.id_ce_subjectAltName);
  const sans = sanExt ? parseGeneralNames(sanExt.value) : { dns: [], ip: [], email: [], uri: [], other: 0 };

  return {
    der,
    info: rawOf(der, infoNode),
    version,
    subject,
    publicKey,
    signatureAlgorithmOid,
    signatureAlgorithm: signatureAlgorithmByOid(signatureAlgorithmOid),
    signature,
    sans,
    extensions,
  };
}

/** Reads a PEM or DER CSR. PEM may be labelled CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST. */
export function parseCsrInput(input: string | Uint8Array): ParsedCsr {
  if (typeof input !== 'string') {
    const first = input[0];
    if (first === 0x30) return parseCsr(input);
    input = new TextDecoder().decode(input);
  }
  const der = fromPem(input, 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
  if (!der) throw new DerError('no CERTIFICATE REQUEST block found');
  return parseCsr(der);
}

/**
 * Checks the request's self-signature (proof of possession of the private key).
 * Returns false for a wrong signature; throws DerError when the algorithm is not
 * supported or does not fit the key.
 */
export async function verifyCsrSignature(csr: ParsedCsr, crypto: Crypto = getCrypto()): Promise<boolean> {
  const alg = csr.signatureAlgorithm;
  if (!alg) throw new DerError(`unsupported signature algorithm ${csr.signatureAlgorithmOid}`);
  const key = await importVerifyKey(csr.publicKey, alg, crypto);
  let signature = csr.signature;
  if (alg.family === 'ECDSA') {
    try {
      signature = derToP1363(signature, CURVE_FIELD_BYTES[csr.publicKey.curve!]);
    } catch {
      return false;
    }
    return crypto.subtle.verify({ name: 'ECDSA', hash: alg.hash }, key, signature as BufferSource, csr.info as BufferSource);
  }
  return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, signature as BufferSource, csr.info as BufferSource);
}

export interface CsrCreateParams {
  keys: CryptoKeyPair;
  /** Subject common name: the node's name or FQDN. */
  commonName: string;
  /** Subject alternative names, sorted into DNS/IP/e-mail/URI. Default is none. */
  sans?: readonly string[];
  /** Digest for the signature. Default matches the key: SHA-384 for P-384, SHA-512 for P-521, else SHA-256. */
  hash?: HashName;
}

function defaultHash(key: CryptoKey): HashName {
  const alg = key.algorithm as EcKeyAlgorithm;
  if (alg.name === 'ECDSA') return alg.namedCurve === 'P-384' ? 'SHA-384' : alg.namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256';
  return 'SHA-256';
}

/**
 * Builds and signs a PKCS#10 request with pkijs, shaped like the one `step ca
 * certificate` sends: Subject CN only, SANs in an extensionRequest attribute.
 * @returns the CSR in DER
 * @example const der = await createCsr({ keys, commonName: 'collaborator1', sans: ['collaborator1'] });
 */
export async function createCsr(params: CsrCreateParams, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  const engine = pkiEngine(crypto);
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  const subjectDer = encodeName([{ type: OID.id_at_commonName, value: params.commonName }]);
  csr.subject = pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(subjectDer));
  await csr.subjectPublicKeyInfo.importKey(params.keys.publicKey, engine);
  const sans = splitSans(params.sans ?? []);
  // RFC 2986 makes `attributes` mandatory (an empty [0] SET when there are none), and
  // Go's parser refuses a request without it; pkijs omits it unless the field is set.
  csr.attributes = [];
  if (sanCount(sans) > 0) {
    const ext = new pkijs.Extension({
      extnID: OID.id_ce_subjectAltName,
      critical: false,
      extnValue: toArrayBuffer(generalNames(sans)),
    });
    csr.attributes = [
      new pkijs.Attribute({
        type: OID.pkcs_9_at_extensionRequest,
        values: [new pkijs.Extensions({ extensions: [ext] }).toSchema()],
      }),
    ];
  }
  await csr.sign(params.keys.privateKey, params.hash ?? defaultHash(params.keys.privateKey), engine);
  return new Uint8Array(csr.toSchema(true).toBER(false));
}
