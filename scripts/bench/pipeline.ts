/**
 * In-process cost of one issuance, without HTTP or threads: where the signing thread's
 * time goes beyond the crypto floor. It times prepareTokenIssuance back to back, the
 * three steps it is made of (checkCsr, verifyToken, signLeafRecord) on their own,
 * whole issuances with commitTokenIssuance, and the commit's CPU when issuances are
 * committed in groups, as under load. A tool for the hot path, not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/pipeline.ts [EC-P256|EC-P384] [count]
 *
 * FEDPKI_DB_SYNCHRONOUS=NORMAL runs the commits without their fsync, as a server with that setting does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CertificateAuthority } from '../../lib/ca/authority';
import { SIGN_PATHS, checkCsr, commitTokenIssuance, prepareTokenIssuance, signLeafRecord } from '../../lib/ca/issue';
import { verifyToken } from '../../lib/ca/verify-token';
import { nodeCrypto } from '../../lib/crypto/node-crypto';
import { openDatabase } from '../../db/client';
import { SqliteCaStore } from '../../db/store';
import { fromPem } from '../../lib/pki/pem';
import { cryptoFloorMicros } from './floor';
import { PASSWORD, ROOT, startServer } from './server';
import { makeJobs } from './signing';

const spec = (process.argv[2] ?? 'EC-P256') as 'EC-P256' | 'EC-P384';
const count = Number(process.argv[3] ?? 3000);
const dataDir = join(mkdtempSync(join(tmpdir(), 'fedpki-pipeline-')), 'data');
const server = await startServer({ apiOnly: true, dataDir });
await server.stop();
const { jobs } = await makeJobs(server, spec, count * 3 + 192 * (1 + 3 * 5));
const db = openDatabase({ file: join(server.dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db/migrations'), synchronous: process.env.FEDPKI_DB_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL' });
const store = new SqliteCaStore(db);
const crypto = nodeCrypto();
const authority = new CertificateAuthority({ store, password: PASSWORD, crypto });
await authority.unlockAll();
const params = jobs.map((j) => ({ csr: fromPem(j.csr, 'CERTIFICATE REQUEST')!, ott: j.ott }));
const deps = { store, lookup: (kid: string) => authority.keyring.byKid(kid), now: () => new Date(), crypto };

const micros = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1000;
const cpuMicros = (c: NodeJS.CpuUsage) => c.user + c.system;

/** prepare alone, back to back (tokens stay pending: nothing is committed). */
async function prepareOnly(n: number) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await prepareTokenIssuance(params[i]!, deps);
  return { wall: micros(t0) / n, cpu: cpuMicros(process.cpuUsage(c0)) / n };
}

/** Whole issuances, each committed in its own transaction: wall time of each half. */
async function whole(from: number, n: number) {
  const t = { prepare: 0, commit: 0 };
  for (let i = from; i < from + n; i++) {
    const t0 = process.hrtime.bigint();
    const p = await prepareTokenIssuance(params[i]!, deps);
    t.prepare += micros(t0);
    const t1 = process.hrtime.bigint();
    await commitTokenIssuance(p, authority.keyring.require(p.record.federationId), store);
    t.commit += micros(t1);
  }
  return { prepare: t.prepare / n, commit: t.commit / n };
}

/**
 * The commit's own CPU per issuance when issuances are committed in groups, as the
 * server's group commit makes them under load: each group is prepared first (not
 * timed), then committed together. Group sizes take turns for `rounds` rounds, so the
 * machine's drift hits them alike; medians are returned.
 */
async function grouped(from: number, sizes: number[], per: number, rounds: number) {
  let at = from;
  const runs = new Map<number, number[]>(sizes.map((size) => [size, []]));
  for (let r = 0; r < rounds; r++) {
    for (const size of sizes) {
      let cpu = 0;
      for (let i = 0; i < per; i += size) {
        const group = [];
        for (let j = 0; j < size; j++) group.push(await prepareTokenIssuance(params[at++]!, deps));
        const c0 = process.cpuUsage();
        await Promise.all(group.map((p) => commitTokenIssuance(p, authority.keyring.require(p.record.federationId), store)));
        cpu += cpuMicros(process.cpuUsage(c0));
      }
      runs.get(size)!.push(cpu / per);
    }
  }
  return sizes.map((size) => ({ size, cpu: [...runs.get(size)!].sort((a, b) => a - b)[Math.floor(rounds / 2)]! }));
}

/** The steps of prepare on their own (tokens still pending: nothing is committed here). */
/** The token record's binding, as prepareTokenIssuance reads it for verifyToken. */
const bindingOf = async (jti: string) => (await store.getToken(jti))?.binding;

async function steps(from: number, n: number) {
  const t = { csr: 0, token: 0, leaf: 0 };
  for (let i = from; i < from + n; i++) {
    const now = new Date();
    let t0 = process.hrtime.bigint();
    const csr = await checkCsr(params[i]!.csr, crypto);
    t.csr += micros(t0);
    t0 = process.hrtime.bigint();
    const { claims, ctx } = await verifyToken({ ott: params[i]!.ott, now, lookup: deps.lookup, paths: SIGN_PATHS, bindingOf }, crypto);
    t.token += micros(t0);
    t0 = process.hrtime.bigint();
    await signLeafRecord(
      { ctx, csr, commonName: claims.sub, sans: claims.sans, notBefore: now, notAfter: new Date(now.getTime() + 864e5), role: 'collaborator', source: 'token', tokenJti: claims.jti, issuedBy: 'pipeline', now },
      crypto,
    );
    t.leaf += micros(t0);
  }
  return { csr: t.csr / n, token: t.token / n, leaf: t.leaf / n };
}

await prepareOnly(count); // warm-up
const alone = await prepareOnly(count);
await steps(0, count); // warm-up
const st = await steps(0, count);
await whole(count, count); // warm-up
const w = await whole(2 * count, count);
const GROUPS = [1, 4, 16];
const PER_GROUP_RUN = 192;
const ROUNDS = 5;
await grouped(3 * count, [4], PER_GROUP_RUN, 1); // warm-up
const g = await grouped(3 * count + PER_GROUP_RUN, GROUPS, PER_GROUP_RUN, ROUNDS);
const floor = await cryptoFloorMicros(spec === 'EC-P256' ? 'P-256' : 'P-384', 3000);
const f = (x: number) => x.toFixed(0).padStart(5);
console.log(`${spec}, µs per certificate, in process:
  prepare        ${f(alone.wall)} wall, ${f(alone.cpu)} process CPU (with V8's helper threads), back to back
    CSR check    ${f(st.csr)} wall (parse, key policy, key import, signature)
    token        ${f(st.token)} wall (decode, record lookup, binding HMAC, claims)
    leaf         ${f(st.leaf)} wall (encode, sign, fingerprint)
  prepare        ${f(w.prepare)} wall, each followed by its commit
  commit         ${f(w.commit)} wall (one transaction and fsync per certificate)
  commit         ${g.map((x) => `${x.cpu.toFixed(0)} in groups of ${x.size}`).join(', ')}: process CPU (median of ${ROUNDS}), one transaction and fsync per group
  crypto floor   ${f(floor)} (scripts/bench/floor.ts)`);
db.$client.close();
rmSync(dirname(dataDir), { recursive: true, force: true });
