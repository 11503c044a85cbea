/**
 * What a signing thread adds to preparing a certificate, with no HTTP and no database
 * (token records are read once, before; tokens stay pending, so each mode reuses
 * them): the same requests run
 *   - in process, back to back, on this thread;
 *   - in a worker thread, back to back (all requests in one message);
 *   - through one signing thread, one request in flight (each pays a wake-up);
 *   - through one signing thread, 16 in flight (the thread never sleeps);
 *   - through two signing threads, 16 in flight (the two cores shared by two busy threads);
 * then `floor.ts`'s crypto loop alone on this thread and in a worker, taking turns.
 * The modes take turns for a number of rounds, so the machine's drift hits them alike;
 * CPU is read per thread from /proc. A tool for the hot path, not part of `npm run bench`;
 * it runs the built worker, so `node scripts/build-server.mjs` first.
 *
 *   npx tsx scripts/bench/threads.ts [EC-P256|EC-P384] [count] [rounds]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CertificateAuthority } from '../../lib/ca/authority';
import { prepareTokenIssuance } from '../../lib/ca/issue';
import { unverifiedJti } from '../../lib/ca/token';
import type { TokenRecord } from '../../lib/ca/types';
import { nodeCrypto } from '../../lib/crypto/node-crypto';
import { fromPem } from '../../lib/pki/pem';
import { openDatabase } from '../../db/client';
import { SqliteCaStore } from '../../db/store';
import { federationSnapshots } from '../../server/signing-snapshot';
import type { WorkerReply, WorkerRequest } from '../../server/signing-worker';
import { tokenReader, type PrepareWorkerRequest } from './prepare-worker';
import { cryptoFloorMicros } from './floor';
import { PASSWORD, ROOT, cpuByKind, median, startServer, type ThreadKind } from './server';
import { makeJobs } from './signing';

const spec = (process.argv[2] ?? 'EC-P256') as 'EC-P256' | 'EC-P384';
const count = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 5);
const workerFile = join(ROOT, 'dist/signing-worker.mjs');
if (!existsSync(workerFile)) throw new Error('run `node scripts/build-server.mjs` first');

const dataDir = join(mkdtempSync(join(tmpdir(), 'fedpki-threads-')), 'data');
const server = await startServer({ apiOnly: true, dataDir });
await server.stop();
const { jobs } = await makeJobs(server, spec, count);
const db = openDatabase({ file: join(dataDir, 'fedpki.db'), migrationsFolder: join(ROOT, 'db/migrations') });
const store = new SqliteCaStore(db);
const crypto = nodeCrypto();
const authority = new CertificateAuthority({ store, password: PASSWORD, crypto });
await authority.unlockAll();
const params = jobs.map((j) => ({ csr: fromPem(j.csr, 'CERTIFICATE REQUEST')!, ott: j.ott }));
const tokens: (TokenRecord | null)[] = [];
for (const p of params) tokens.push((await store.getToken(unverifiedJti(p.ott)!)) ?? null);
const deps = { store: tokenReader(tokens), lookup: (kid: string) => authority.keyring.byKid(kid), now: () => new Date(), crypto };

/** A worker running one of this folder's TypeScript modules. */
const tsWorker = (module: string) => new Worker(new URL('./ts-thread.mjs', import.meta.url), { workerData: { module } });
// prepares everything it is sent back to back, with no message per request
const loopWorker = tsWorker('prepare-worker.ts');
const ask = (w: Worker, msg: PrepareWorkerRequest) =>
  new Promise<void>((resolve, reject) => {
    w.once('message', (answer: string) => (answer === 'done' || answer === 'ready' ? resolve() : reject(new Error(answer))));
    w.postMessage(msg);
  });
await ask(loopWorker, { kind: 'federations', federations: federationSnapshots(authority) });

const workers = [0, 1].map((index) => new Worker(workerFile, { workerData: { aliases: [], index } }));
const waiting = new Map<number, (r: WorkerReply) => void>();
for (const w of workers) {
  w.on('message', (r: WorkerReply) => {
    waiting.get(r.id)!(r);
    waiting.delete(r.id);
  });
  w.postMessage({ kind: 'federations', federations: federationSnapshots(authority) } satisfies WorkerRequest);
}
let nextId = 1;
const inflight = [0, 0];
async function viaThread(i: number, threads: number): Promise<void> {
  const t = inflight[1]! < inflight[0]! && threads > 1 ? 1 : 0;
  inflight[t]!++;
  const id = nextId++;
  const reply = await new Promise<WorkerReply>((resolve) => {
    waiting.set(id, resolve);
    workers[t]!.postMessage({ kind: 'sign', id, params: params[i]!, token: tokens[i]! } satisfies WorkerRequest);
  });
  inflight[t]!--;
  if (!reply.prepared) throw new Error(`refused: ${reply.error?.code} ${reply.error?.message}`);
}

/** Runs `one` for every request with `concurrency` in flight. */
async function drive(one: (i: number) => Promise<unknown>, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < params.length) await one(next++);
    }),
  );
}

const MODES: { name: string; run: () => Promise<void> }[] = [
  { name: 'in process, back to back', run: () => drive((i) => prepareTokenIssuance(params[i]!, deps), 1) },
  { name: 'in a thread, back to back', run: () => ask(loopWorker, { kind: 'prepare', params, tokens }) },
  { name: 'one thread, 1 in flight', run: () => drive((i) => viaThread(i, 1), 1) },
  { name: 'one thread, 16 in flight', run: () => drive((i) => viaThread(i, 1), 16) },
  { name: 'two threads, 16 in flight', run: () => drive((i) => viaThread(i, 2), 16) },
];
type Sample = { wall: number } & Record<ThreadKind, number>;
const samples = MODES.map(() => [] as Sample[]);
for (let r = -1; r < rounds; r++) {
  // round -1 warms every path up; later rounds alternate the order
  const order = r % 2 === 0 ? MODES.map((_, i) => i) : MODES.map((_, i) => i).reverse();
  for (const m of order) {
    const c0 = cpuByKind(process.pid);
    const t0 = performance.now();
    await MODES[m]!.run();
    const wall = performance.now() - t0;
    const c = cpuByKind(process.pid);
    const per = (ms: number) => (ms * 1000) / params.length;
    if (r >= 0) samples[m]!.push({ wall: per(wall), main: per(c.main - c0.main), signing: per(c.signing - c0.signing), other: per(c.other - c0.other) });
  }
}
const curve = spec === 'EC-P256' ? 'P-256' : 'P-384';
const floor = await cryptoFloorMicros(curve, 3000);
// The crypto alone, on this thread and in a worker, alternating: does a thread make it dearer?
const floorWorker = tsWorker('floor-worker.ts');
const floorRuns = { main: [] as number[], worker: [] as number[] };
const floorN = spec === 'EC-P256' ? 3000 : 1000;
for (let r = 0; r < rounds; r++) {
  floorRuns.main.push(await cryptoFloorMicros(curve, floorN, 'wall'));
  floorRuns.worker.push(await new Promise<number>((resolve) => {
    floorWorker.once('message', resolve);
    floorWorker.postMessage({ curve, n: floorN });
  }));
}
await floorWorker.terminate();
const f = (x: number) => x.toFixed(0).padStart(5);
console.log(`${spec}, ${params.length} certificates per mode, median of ${rounds} rounds, µs per certificate (CPU by thread from /proc, 10 ms ticks):`);
console.log(`  ${'mode'.padEnd(28)} ${'wall'.padStart(5)} ${'main'.padStart(5)} ${'sign'.padStart(5)} ${'other'.padStart(5)} ${'total'.padStart(5)}`);
MODES.forEach((m, i) => {
  const s = samples[i]!;
  const k = (key: keyof Sample) => median(s.map((x) => x[key]));
  console.log(`  ${m.name.padEnd(28)} ${f(k('wall'))} ${f(k('main'))} ${f(k('signing'))} ${f(k('other'))} ${f(median(s.map((x) => x.main + x.signing + x.other)))}`);
});
console.log(`  crypto floor (floor.ts)      ${f(floor)}`);
const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
console.log(`  crypto floor, wall, this thread: median ${f(median(floorRuns.main))} (${list(floorRuns.main)}); a worker: median ${f(median(floorRuns.worker))} (${list(floorRuns.worker)})`);
await Promise.all([...workers, loopWorker].map((w) => w.terminate()));
db.$client.close();
rmSync(dirname(dataDir), { recursive: true, force: true });
