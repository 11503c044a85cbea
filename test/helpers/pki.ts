/** A throwaway issuer for lib/pki unit tests: a self-signed CA certificate and its key, made with lib/pki itself. */

import { keyIdentifier, subjectKeyIdentifier } from '@/lib/pki/extensions/key-identifiers';
import { basicConstraints } from '@/lib/pki/extensions/basic-constraints';
import { keyUsage } from '@/lib/pki/extensions/key-usage';
import { exportSpki, generateKeyPair, type KeySpec } from '@/lib/pki/keys';
import { simpleName } from '@/lib/pki/name';
import { toPem } from '@/lib/pki/pem';
import { parseSpki, type PublicKeyInfo } from '@/lib/pki/spki';
import { generateSerialNumber, signCertificate, signatureAlgorithmForKey } from '@/lib/pki/x509';
import type { SignatureAlgorithm } from '@/lib/pki/algorithms';

export interface TestIssuer {
  keys: CryptoKeyPair;
  der: Uint8Array;
  pem: string;
  name: Uint8Array;
  keyId: Uint8Array;
  publicKey: PublicKeyInfo;
  algorithm: SignatureAlgorithm;
}

export async function makeIssuer(spec: KeySpec = 'EC-P256', cn = 'Test CA'): Promise<TestIssuer> {
  const keys = await generateKeyPair(spec);
  const spki = await exportSpki(keys.publicKey);
  const publicKey = parseSpki(spki);
  const keyId = await keyIdentifier(publicKey.subjectPublicKey);
  const name = simpleName(cn, 'FedPKI tests');
  const algorithm = signatureAlgorithmForKey(keys.privateKey);
  const now = Date.now();
  const der = await signCertificate(
    {
      serialNumber: generateSerialNumber(),
      signatureAlgorithm: algorithm,
      issuer: name,
      subject: name,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 86400_000),
      subjectPublicKeyInfo: spki,
      extensions: [keyUsage(['keyCertSign', 'cRLSign']), basicConstraints({ ca: true }), subjectKeyIdentifier(keyId)],
    },
    keys.privateKey,
  );
  return { keys, der, pem: toPem(der, 'CERTIFICATE'), name, keyId, publicKey, algorithm };
}
