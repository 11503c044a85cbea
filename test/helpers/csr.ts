import { createCsr } from '@/lib/pki/csr';
import { exportPkcs8, generateKeyPair, type KeySpec } from '@/lib/pki/keys';
import { toPem } from '@/lib/pki/pem';

export interface TestCsr {
  pem: string;
  der: Uint8Array;
  keys: CryptoKeyPair;
  keyPem: () => Promise<string>;
}

export async function makeCsr(commonName: string, sans: string[] = [commonName], spec: KeySpec = 'EC-P256'): Promise<TestCsr> {
  const keys = await generateKeyPair(spec);
  const der = await createCsr({ keys, commonName, sans });
  return { pem: toPem(der, 'CERTIFICATE REQUEST'), der, keys, keyPem: async () => toPem(await exportPkcs8(keys.privateKey), 'PRIVATE KEY') };
}
