/**
 * The crypto-only floor of one enrollment, measured in the same run as the server: the
 * token's ES256 verify, importing the CSR's public key and verifying its signature, the
 * leaf's SKI (SHA-1) and fingerprint (SHA-256), and the leaf signature — in a loop,
 * with node:crypto, nothing else.
 */

import { KeyObject, createHash, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';

export type FloorCurve = 'P-256' | 'P-384';

/** The keys and signed inputs one enrollment's crypto works on: 64 CSRs of `curve`. */
export function floorFixture(curve: FloorCurve) {
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
  return { curve, provisioner, issuer, hash, jwtInput, jwtSig, csrs, tbs: Buffer.alloc(520, 5) };
}

export type FloorFixture = ReturnType<typeof floorFixture>;

/** `n` enrollments' crypto through node:crypto. */
export async function nodeFloor(f: FloorFixture, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const csr = f.csrs[i % f.csrs.length]!;
    if (!verify('sha256', f.jwtInput, { key: f.provisioner.publicKey, dsaEncoding: 'ieee-p1363' }, f.jwtSig)) throw new Error('jwt');
    const key = KeyObject.from(await webcrypto.subtle.importKey('raw', csr.point, { name: 'ECDSA', namedCurve: f.curve }, true, ['verify']));
    if (!verify(f.hash, csr.info, { key, dsaEncoding: 'ieee-p1363' }, csr.sig)) throw new Error('csr');
    createHash('sha1').update(csr.point).digest();
    const cert = sign('sha256', f.tbs, f.issuer.privateKey);
    createHash('sha256').update(cert).digest();
  }
}

/**
 * µs per enrollment of that loop, after a warm-up: by the process's CPU time, or by wall
 * time, which a worker thread can measure for itself alone (its process's CPU time
 * counts every thread).
 */
export async function cryptoFloorMicros(curve: FloorCurve, iterations: number, clock: 'cpu' | 'wall' = 'cpu'): Promise<number> {
  const f = floorFixture(curve);
  await nodeFloor(f, Math.min(200, iterations));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await nodeFloor(f, iterations);
  if (clock === 'wall') return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / iterations;
}
