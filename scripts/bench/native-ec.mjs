// How much of one enrollment's crypto floor is Node's and OpenSSL 3's per-call
// overhead: the floor of floor.ts (token ES256 verify, CSR key import and verify, leaf
// sign, two hashes) through node:crypto, against the same operations through a small
// addon (native-ec.c) that keeps each curve's group and the token and issuer keys
// built once. A tool for deciding whether a native hot path is worth it; nothing in
// FedPKI uses the addon. Needs a C compiler and OpenSSL's headers (libssl-dev):
//
//   node scripts/bench/native-ec.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { KeyObject, createHash, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
const here = dirname(fileURLToPath(import.meta.url));
const build = mkdtempSync(join(tmpdir(), 'fedpki-native-ec-'));
process.on('exit', () => rmSync(build, { recursive: true, force: true }));
const addon = join(build, 'native-ec.node');
try {
  execFileSync('cc', ['-O2', '-Wall', '-shared', '-fPIC', `-I${join(dirname(process.execPath), '..', 'include', 'node')}`, '-o', addon, join(here, 'native-ec.c'), '-lcrypto'], { stdio: 'inherit' });
} catch {
  console.error('native-ec: could not compile native-ec.c (a C compiler, Node\'s headers and libssl-dev are needed)');
  process.exit(1);
}
const ec = createRequire(import.meta.url)(addon);
const provisioner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rawPoint = (k) => k.export({ type: 'spki', format: 'der' }).subarray(-(k.asymmetricKeyDetails.namedCurve === 'prime256v1' ? 65 : 97));
const jwtInput = Buffer.alloc(560, 7);
const jwtSig = sign('sha256', jwtInput, { key: provisioner.privateKey, dsaEncoding: 'ieee-p1363' });
const provPoint = rawPoint(provisioner.publicKey);
const issuerD = Buffer.from(issuer.privateKey.export({ format: 'jwk' }).d, 'base64url');
const tbs = Buffer.alloc(520, 5);
const csrsFor = (curve) => Array.from({ length: 64 }, () => {
  const k = generateKeyPairSync('ec', { namedCurve: curve });
  const info = Buffer.alloc(curve === 'P-256' ? 180 : 210, 3);
  return { info, point: rawPoint(k.publicKey), sig: sign(curve === 'P-256' ? 'sha256' : 'sha384', info, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }) };
});
const csrs = { 'P-256': csrsFor('P-256'), 'P-384': csrsFor('P-384') };
// The addon must agree with node:crypto, refusals included, or its figures mean nothing.
for (const curve of ['P-256', 'P-384']) {
  const c = csrs[curve][0]; const ci = curve === 'P-256' ? 0 : 1;
  if (!ec.verify(ci, c.point, c.info, c.sig, 0)) throw new Error('native refuses a good signature');
  const bad = Buffer.from(c.sig); bad[5] ^= 1;
  if (ec.verify(ci, c.point, c.info, bad, 0)) throw new Error('native accepts a bad signature');
  const off = Buffer.from(c.point); off[off.length - 1] ^= 1;
  if (ec.verify(ci, off, c.info, c.sig, 0)) throw new Error('native accepts a point off the curve');
}
if (!verify('sha256', tbs, issuer.publicKey, ec.sign(issuerD, tbs))) throw new Error('native signature does not verify');

async function nodeFloor(curve, n) {
  const hash = curve === 'P-256' ? 'sha256' : 'sha384';
  for (let i = 0; i < n; i++) {
    const c = csrs[curve][i % 64];
    if (!verify('sha256', jwtInput, { key: provisioner.publicKey, dsaEncoding: 'ieee-p1363' }, jwtSig)) throw new Error('jwt');
    const key = KeyObject.from(await webcrypto.subtle.importKey('raw', c.point, { name: 'ECDSA', namedCurve: curve }, true, ['verify']));
    if (!verify(hash, c.info, { key, dsaEncoding: 'ieee-p1363' }, c.sig)) throw new Error('csr');
    createHash('sha1').update(c.point).digest();
    const cert = sign('sha256', tbs, issuer.privateKey);
    createHash('sha256').update(cert).digest();
  }
}
async function nativeFloor(curve, n) {
  const ci = curve === 'P-256' ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const c = csrs[curve][i % 64];
    if (!ec.verify(0, provPoint, jwtInput, jwtSig, 1)) throw new Error('jwt');
    if (!ec.verify(ci, c.point, c.info, c.sig, 0)) throw new Error('csr');
    createHash('sha1').update(c.point).digest();
    const cert = ec.sign(issuerD, tbs);
    createHash('sha256').update(cert).digest();
  }
}
const N = 2000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const curve of ['P-256', 'P-384']) {
  const n = curve === 'P-256' ? N : N / 4;
  const r = { node: [], native: [] };
  for (let round = 0; round < 6; round++) {
    for (const [name, f] of [['node', nodeFloor], ['native', nativeFloor]]) {
      const t0 = process.hrtime.bigint();
      await f(curve, n);
      if (round > 0) r[name].push(Number(process.hrtime.bigint() - t0) / 1000 / n);
    }
  }
  console.log(`${curve} enrollment floor, µs (median of 5; range): node:crypto ${median(r.node).toFixed(0)} (${Math.min(...r.node).toFixed(0)}–${Math.max(...r.node).toFixed(0)}), native ${median(r.native).toFixed(0)} (${Math.min(...r.native).toFixed(0)}–${Math.max(...r.native).toFixed(0)})`);
}
