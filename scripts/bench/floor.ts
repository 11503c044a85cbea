/**
 * The crypto-only floor of one enrollment, measured in the same run as the server: the
 * token's ES256 verify, importing the CSR's public key and verifying its signature, the
 * leaf's SKI (SHA-1) and fingerprint (SHA-256), and the leaf signature — in a loop,
 * with node:crypto, nothing else.
 */

import { KeyObject, createHash, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';

export async function cryptoFloorMicros(curve: 'P-256' | 'P-384', iterations: number): Promise<number> {
  const provisioner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const hash = curve === 'P-256' ? 'sha256' : 'sha384';
  const jwtInput = Buffer.alloc(560, 7);
  const jwtSig = sign('sha256', jwtInput, { key: provisioner.privateKey, dsaEncoding: 'ieee-p1363' });
  const csrs = Array.from({ length: 64 }, () => {
    const k = generateKeyPairSync('ec', { namedCurve: curve });
    const info = Buffer.alloc(curve === 'P-256' ? 180 : 210, 3);
    const point = (k.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(curve === 'P-256' ? -65 : -97);
    return { info, point, sig: sign(hash, info, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }) };
  });
  const tbs = Buffer.alloc(520, 5);
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const csr = csrs[i % csrs.length]!;
      if (!verify('sha256', jwtInput, { key: provisioner.publicKey, dsaEncoding: 'ieee-p1363' }, jwtSig)) throw new Error('jwt');
      const key = KeyObject.from(await webcrypto.subtle.importKey('raw', csr.point, { name: 'ECDSA', namedCurve: curve }, true, ['verify']));
      if (!verify(hash, csr.info, { key, dsaEncoding: 'ieee-p1363' }, csr.sig)) throw new Error('csr');
      createHash('sha1').update(csr.point).digest();
      const cert = sign('sha256', tbs, issuer.privateKey);
      createHash('sha256').update(cert).digest();
    }
  };
  await run(Math.min(200, iterations));
  const c0 = process.cpuUsage();
  await run(iterations);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / iterations;
}
