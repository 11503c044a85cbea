/**
 * How much of one enrollment's crypto floor is Node's and OpenSSL 3's per-call
 * overhead: floor.ts's floor through node:crypto, against the same operations on the
 * same inputs through a small addon (native-ec.c) that keeps each curve's group and
 * the token and issuer keys built once. A tool for deciding whether a native hot path
 * is worth it; nothing in FedPKI uses the addon. Needs a C compiler and OpenSSL's
 * headers (libssl-dev):
 *
 *   npx tsx scripts/bench/native-ec.ts
 */
import { execFileSync } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { floorFixture, nodeFloor, type FloorCurve, type FloorFixture } from './floor';
import { median } from './server';

interface NativeEc {
  /** curve 0 = P-256/SHA-256, 1 = P-384/SHA-384; cached 1 builds the key from the first call's point only. */
  verify(curve: 0 | 1, point: Buffer, data: Buffer, p1363: Buffer, cached: 0 | 1): boolean;
  /** P-256, SHA-256, DER signature, with a key built from the first call's `d`. */
  sign(d: Buffer, data: Buffer): Buffer;
}

const build = mkdtempSync(join(tmpdir(), 'fedpki-native-ec-'));
process.on('exit', () => rmSync(build, { recursive: true, force: true }));
const addon = join(build, 'native-ec.node');
try {
  const source = join(dirname(fileURLToPath(import.meta.url)), 'native-ec.c');
  execFileSync('cc', ['-O2', '-Wall', '-shared', '-fPIC', `-I${join(dirname(process.execPath), '..', 'include', 'node')}`, '-o', addon, source, '-lcrypto'], { stdio: 'inherit' });
} catch {
  console.error("native-ec: could not compile native-ec.c (a C compiler, Node's headers and libssl-dev are needed)");
  process.exit(1);
}
const ec = createRequire(import.meta.url)(addon) as NativeEc;

const curveIndex = (curve: FloorCurve) => (curve === 'P-256' ? 0 : 1);
const rawPoint = (f: FloorFixture) => (f.provisioner.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(-65);
const privateScalar = (f: FloorFixture) => Buffer.from((f.issuer.privateKey.export({ format: 'jwk' }) as JsonWebKey).d!, 'base64url');

/** floor.ts's loop, with the three ECDSA operations done by the addon. */
function nativeFloor(f: FloorFixture, provisionerPoint: Buffer, issuerD: Buffer, n: number) {
  for (let i = 0; i < n; i++) {
    const csr = f.csrs[i % f.csrs.length]!;
    if (!ec.verify(0, provisionerPoint, f.jwtInput, f.jwtSig, 1)) throw new Error('jwt');
    if (!ec.verify(curveIndex(f.curve), csr.point, csr.info, csr.sig, 0)) throw new Error('csr');
    createHash('sha1').update(csr.point).digest();
    const cert = ec.sign(issuerD, f.tbs);
    createHash('sha256').update(cert).digest();
  }
}

// The addon keeps the first token and issuer keys it sees: one of each for the whole run.
const keys = floorFixture('P-256');
const provisionerPoint = rawPoint(keys);
const issuerD = privateScalar(keys);
for (const curve of ['P-256', 'P-384'] as const) {
  const f = { ...floorFixture(curve), provisioner: keys.provisioner, issuer: keys.issuer, jwtSig: keys.jwtSig };
  // The addon must agree with node:crypto, refusals included, or its figures mean nothing.
  const c = f.csrs[0]!;
  if (!ec.verify(curveIndex(curve), c.point, c.info, c.sig, 0)) throw new Error('native refuses a good signature');
  const bad = Buffer.from(c.sig);
  bad[5]! ^= 1;
  if (ec.verify(curveIndex(curve), c.point, c.info, bad, 0)) throw new Error('native accepts a bad signature');
  const off = Buffer.from(c.point);
  off[off.length - 1]! ^= 1;
  if (ec.verify(curveIndex(curve), off, c.info, c.sig, 0)) throw new Error('native accepts a point off the curve');
  if (!verify('sha256', f.tbs, f.issuer.publicKey, ec.sign(issuerD, f.tbs))) throw new Error('native signature does not verify');

  const n = curve === 'P-256' ? 2000 : 500;
  const r = { node: [] as number[], native: [] as number[] };
  for (let round = 0; round < 6; round++) {
    for (const name of ['node', 'native'] as const) {
      const t0 = process.hrtime.bigint();
      if (name === 'node') await nodeFloor(f, n);
      else nativeFloor(f, provisionerPoint, issuerD, n);
      // the first round warms both up and is not counted
      if (round > 0) r[name].push(Number(process.hrtime.bigint() - t0) / 1000 / n);
    }
  }
  const show = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  console.log(`${curve} enrollment floor, µs (median of 5; range): node:crypto ${show(r.node)}, native ${show(r.native)}`);
}
