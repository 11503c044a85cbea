/**
 * Certificate profiles, modelled on `step ca init` and step-ca's default leaf
 * template, with what OpenFL's gRPC mutual TLS needs:
 *
 * - root:         CA:TRUE pathlen 1, keyCertSign+cRLSign, 10 years, self-signed
 * - intermediate: CA:TRUE pathlen 0, keyCertSign+cRLSign, signed by the root
 * - leaf:         CN = node name, SANs from the token, CA:FALSE, digitalSignature
 *                 (+keyEncipherment for RSA), serverAuth+clientAuth, SKI, AKI,
 *                 optional CRL distribution point and AIA
 *
 * The leaf path is precompiled per federation (`LeafTemplate`): everything that only
 * depends on the issuer is encoded once when the CA key is unlocked.
 */

import type { SignatureAlgorithm } from '../pki/algorithms';
import { getCrypto } from '../pki/crypto';
import { authorityInfoAccess } from '../pki/extensions/authority-info-access';
import { basicConstraints } from '../pki/extensions/basic-constraints';
import { crlDistributionPoints } from '../pki/extensions/crl-distribution-points';
import { extKeyUsage } from '../pki/extensions/ext-key-usage';
import { authorityKeyIdentifier, keyIdentifier, subjectKeyIdentifier } from '../pki/extensions/key-identifiers';
import { keyUsage } from '../pki/extensions/key-usage';
import { sanCount, subjectAltName, type SubjectAltNames } from '../pki/extensions/subject-alt-name';
import { encodeName } from '../pki/name';
import { id_at_commonName, id_kp_clientAuth, id_kp_serverAuth } from '../pki/oids';
import type { PublicKeyInfo } from '../pki/spki';
import { signCertificate } from '../pki/x509';

export const ROOT_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

export function rootExtensions(ski: Uint8Array): Uint8Array[] {
  return [keyUsage(['keyCertSign', 'cRLSign']), basicConstraints({ ca: true, pathLength: 1 }), subjectKeyIdentifier(ski)];
}

export function intermediateExtensions(ski: Uint8Array, rootSki: Uint8Array): Uint8Array[] {
  return [
    keyUsage(['keyCertSign', 'cRLSign']),
    basicConstraints({ ca: true, pathLength: 0 }),
    subjectKeyIdentifier(ski),
    authorityKeyIdentifier(rootSki),
  ];
}

/** Where a federation publishes its CRL and OCSP responder, when it has a public URL. */
export function revocationUrls(publicUrl: string, federationId: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    crl: `${base}/crl/${federationId}`,
    ocsp: `${base}/ocsp/${federationId}`,
    caIssuers: `${base}/intermediate/${federationId}.crt`,
  };
}

export interface LeafTemplate {
  signatureAlgorithm: SignatureAlgorithm;
  issuerName: Uint8Array;
  /** The issuer's own validity: a leaf starts no earlier and ends no later. */
  issuerNotBefore: Date;
  issuerNotAfter: Date;
  signingKey: CryptoKey;
  /** Extensions that depend only on the issuer, pre-encoded. */
  basicConstraints: Uint8Array;
  extKeyUsage: Uint8Array;
  authorityKeyId: Uint8Array;
  revocation: Uint8Array[];
}

export interface LeafTemplateParams {
  signatureAlgorithm: SignatureAlgorithm;
  issuerName: Uint8Array;
  issuerNotBefore: Date;
  issuerNotAfter: Date;
  issuerKeyId: Uint8Array;
  signingKey: CryptoKey;
  federationId: string;
  /** Omit to leave CRL distribution points and AIA out of leaves. */
  publicUrl?: string | null;
}

export function createLeafTemplate(p: LeafTemplateParams): LeafTemplate {
  const revocation: Uint8Array[] = [];
  if (p.publicUrl) {
    const urls = revocationUrls(p.publicUrl, p.federationId);
    revocation.push(crlDistributionPoints([urls.crl]), authorityInfoAccess({ ocsp: urls.ocsp, caIssuers: urls.caIssuers }));
  }
  return {
    signatureAlgorithm: p.signatureAlgorithm,
    issuerName: p.issuerName,
    issuerNotBefore: p.issuerNotBefore,
    issuerNotAfter: p.issuerNotAfter,
    signingKey: p.signingKey,
    basicConstraints: basicConstraints({ ca: false }),
    extKeyUsage: extKeyUsage([id_kp_serverAuth, id_kp_clientAuth]),
    authorityKeyId: authorityKeyIdentifier(p.issuerKeyId),
    revocation,
  };
}

const KU_EC = keyUsage(['digitalSignature']);
const KU_RSA = keyUsage(['digitalSignature', 'keyEncipherment']);

export interface LeafParams {
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  commonName: string;
  sans: SubjectAltNames;
  publicKey: PublicKeyInfo;
  /** Restrict the EKU, e.g. to serverAuth for FedPKI's own TLS certificates. Default both. */
  extKeyUsage?: Uint8Array;
}

/** Encodes and signs one leaf certificate from a template. */
export async function signLeaf(t: LeafTemplate, p: LeafParams, crypto: Crypto = getCrypto()): Promise<Uint8Array> {
  const ski = await keyIdentifier(p.publicKey.subjectPublicKey, crypto);
  const hasSans = sanCount(p.sans) > 0;
  const extensions = [
    p.publicKey.type === 'RSA' ? KU_RSA : KU_EC,
    p.extKeyUsage ?? t.extKeyUsage,
    t.basicConstraints,
    subjectKeyIdentifier(ski),
    t.authorityKeyId,
  ];
  if (hasSans) extensions.push(subjectAltName(p.sans));
  extensions.push(...t.revocation);
  return signCertificate(
    {
      serialNumber: p.serialNumber,
      signatureAlgorithm: t.signatureAlgorithm,
      issuer: t.issuerName,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      subject: encodeName([{ type: id_at_commonName, value: p.commonName }]),
      subjectPublicKeyInfo: p.publicKey.der,
      extensions,
    },
    t.signingKey,
    crypto,
  );
}
