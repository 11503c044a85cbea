/**
 * In-process cost of one issuance, step by step, without HTTP or threads: where the
 * signing thread's time goes beyond the crypto floor. A tool for the hot path, not
 * part of `npm run bench`.
 *
 *   npx tsx scripts/bench/pipeline.ts [EC-P256|EC-P384] [count]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CertificateAuthority } from '../../lib/ca/authority';
import { commitTokenIssuance, prepareTokenIssuance } from '../../lib/ca/issue';
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
const { jobs } = await makeJobs(server, spec, count * 2);
const db = openDatabase({ file: join(server.dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db/migrations') });
const store = new SqliteCaStore(db);
const crypto = nodeCrypto();
const authority = new CertificateAuthority({ store, password: PASSWORD, crypto });
await authority.unlockAll();
const params = jobs.map((j) => ({ csr: fromPem(j.csr, 'CERTIFICATE REQUEST')!, ott: j.ott }));
const deps = { store, lookup: (kid: string) => authority.keyring.byKid(kid), now: () => new Date(), crypto };

async function phase(from: number, n: number) {
  let prep = 0;
  let commit = 0;
  for (let i = from; i < from + n; i++) {
    const c0 = process.cpuUsage();
    const p = await prepareTokenIssuance(params[i]!, deps);
    const c1 = process.cpuUsage();
    await commitTokenIssuance(p, authority.keyring.require(p.record.federationId), store);
    const c2 = process.cpuUsage();
    prep += c1.user + c1.system - c0.user - c0.system;
    commit += c2.user + c2.system - c1.user - c1.system;
  }
  return { prep: prep / n, commit: commit / n };
}
await phase(0, count); // warm
const r = await phase(count, count);
const floor = await cryptoFloorMicros(spec === 'EC-P256' ? 'P-256' : 'P-384', 3000);
console.log(`${spec}, process CPU per certificate: prepare ${r.prep.toFixed(0)} µs, commit (one per transaction) ${r.commit.toFixed(0)} µs, crypto floor ${floor.toFixed(0)} µs`);
db.$client.close();
rmSync(dirname(dataDir), { recursive: true, force: true });
