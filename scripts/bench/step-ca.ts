/**
 * FedPKI against step-ca on this machine, in the same moment: issue 6 sets its goals
 * as multiples of step-ca's figures, and this machine's speed drifts by half again over
 * a day, so a figure measured elsewhere and earlier is a weak yardstick. Both servers
 * run side by side and take turns, round by round, under the same load generator
 * (`load-client.mjs`): 2,000 enrollments at concurrency 16 over keep-alive HTTPS to
 * `/1.0/sign`, tokens and CSRs made before the timed part, every certificate checked
 * against its issuer. A tool, not part of `npm run bench`.
 *
 *   scripts/bench/build-step-ca.sh            # once: step-ca 0.19.0 from Debian's sources
 *   npx tsx scripts/bench/step-ca.ts [count] [rounds] [c=16] [EC-P256,EC-P384] [--perf]
 *   npx tsx scripts/bench/step-ca.ts --quick     # 200 per run, one round: CI runs it so it cannot rot
 *
 * step-ca is set up as `fx pki install` sets it up: an EC P-256 root and intermediate,
 * the intermediate's key encrypted with a password, one JWK provisioner, certificates
 * of one year, badger as the database (its writes synced, Badger's default), text
 * logging. FedPKI runs as `npm run bench` runs it: the full server with its defaults.
 * The step-ca tokens are made as `step ca token` makes them (ES256 with the
 * provisioner's key; iss, sub, sans, aud, sha, jti, nbf, iat, exp).
 *
 * Prints first the crypto floor of one enrollment in Node (floor.ts) and in the same
 * Go (go-floor.go, built beside step-ca), taking turns; then each run, and per curve
 * the medians and the ratio within each round. Writes it all to
 * bench-results/step-ca-<time>.json. `--perf` then samples step-ca
 * with Linux `perf` through one more run per curve and sorts its CPU by kind of work
 * (Go's symbols name their packages), to set beside `where.ts --perf` for FedPKI.
 */

import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr } from '../../lib/pki/csr';
import { generateKeyPair } from '../../lib/pki/keys';
import { toPem } from '../../lib/pki/pem';
import { cryptoFloorMicros } from './floor';
import { ROOT, freePort, median, rssMiB, startServer, stopAndRemove, waitForHealth, type BenchServer } from './server';
import { driveLoad, makeJobs, summarizeLoad, type SignRun } from './signing';

type Spec = 'EC-P256' | 'EC-P384';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const [count = quick ? 200 : 2000, rounds = quick ? 1 : 5] = args.filter((a) => /^\d+$/.test(a)).map(Number);
const floorRounds = quick ? 1 : 3;
const concurrency = Number(args.find((a) => a.startsWith('c='))?.slice(2) ?? 16);
const specs = (args.find((a) => a.startsWith('EC-'))?.split(',') ?? ['EC-P256', 'EC-P384']) as Spec[];
const withPerf = args.includes('--perf');
const stepCaBin = process.env.STEP_CA ?? join(ROOT, '.bench/step-ca');
if (withPerf && spawnSync('perf', ['--version']).status !== 0) {
  console.error('--perf needs Linux perf (apt-get install linux-perf)');
  process.exit(2);
}
if (!existsSync(stepCaBin)) {
  console.error(`no step-ca at ${stepCaBin}: run scripts/bench/build-step-ca.sh (or set STEP_CA)`);
  process.exit(2);
}

interface StepCa {
  pid: number;
  origin: string;
  audience: string;
  rootPem: string;
  intermediatePem: string;
  provisionerKey: ReturnType<typeof createPrivateKey>;
  kid: string;
  rootSha: string;
  idleRssMiB: number;
  startMs: number;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A step-ca as `fx pki install` configures it, on a free loopback port. */
async function startStepCa(): Promise<StepCa> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-vs-step-ca-'));
  for (const d of ['certs', 'secrets', 'config', 'db']) mkdirSync(join(dir, d));
  const password = 'step-ca benchmark password';
  writeFileSync(join(dir, 'pass'), password);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'secrets/root_ca_key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'secrets/root_ca_key', '-sha256', '-days', '3650', '-subj', '/O=Bench/CN=Bench Root CA', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'certs/root_ca.crt'], dir);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'int.key'], dir);
  openssl(['req', '-new', '-key', 'int.key', '-subj', '/O=Bench/CN=Bench Intermediate CA', '-out', 'int.csr'], dir);
  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  openssl(['x509', '-req', '-in', 'int.csr', '-CA', 'certs/root_ca.crt', '-CAkey', 'secrets/root_ca_key', '-set_serial', '1', '-days', '3650', '-sha256', '-extfile', 'int.ext', '-out', 'certs/intermediate_ca.crt'], dir);
  openssl(['ec', '-in', 'int.key', '-aes256', '-passout', 'file:pass', '-out', 'secrets/intermediate_ca_key'], dir);
  rmSync(join(dir, 'int.key'));

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint, as step uses for the provisioner's kid.
  const kid = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  const port = await freePort();
  const config = {
    root: join(dir, 'certs/root_ca.crt'),
    crt: join(dir, 'certs/intermediate_ca.crt'),
    key: join(dir, 'secrets/intermediate_ca_key'),
    address: `127.0.0.1:${port}`,
    dnsNames: ['localhost'],
    logger: { format: 'text' },
    db: { type: 'badgerv2', dataSource: join(dir, 'db') },
    authority: {
      provisioners: [{ type: 'JWK', name: 'provisioner', key: { ...jwk, use: 'sig', alg: 'ES256', kid } }],
      claims: { maxTLSCertDuration: '8760h', defaultTLSCertDuration: '8760h' },
    },
    tls: {
      cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      minVersion: 1.2,
      maxVersion: 1.3,
      renegotiation: false,
    },
  };
  writeFileSync(join(dir, 'config/ca.json'), JSON.stringify(config, null, 2));
  const rootPem = readFileSync(join(dir, 'certs/root_ca.crt'), 'utf8');
  const t0 = performance.now();
  // Its per-request log lines go to a file, as they would to a journal.
  const log = join(dir, 'step-ca.log');
  const child: ChildProcess = spawn('sh', ['-c', `exec "$0" --password-file "$1" "$2" > "$3" 2>&1`, stepCaBin, join(dir, 'pass'), join(dir, 'config/ca.json'), log], { stdio: 'ignore' });
  const origin = `https://localhost:${port}`;
  await waitForHealth(origin, child, { ca: rootPem, exited: () => `step-ca exited: ${readFileSync(log, 'utf8')}` });
  const startMs = performance.now() - t0;
  return {
    pid: child.pid!,
    origin,
    audience: `${origin}/1.0/sign`,
    rootPem,
    intermediatePem: readFileSync(join(dir, 'certs/intermediate_ca.crt'), 'utf8'),
    provisionerKey: privateKey,
    kid,
    rootSha: createHash('sha256').update(new X509Certificate(rootPem).raw).digest('hex'),
    idleRssMiB: rssMiB(child.pid!).rss,
    startMs,
    stop: () => stopAndRemove(child, dir),
  };
}

/** A one-time token as `step ca token SUBJECT` makes it for a JWK provisioner. */
function stepToken(ca: StepCa, subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${b64({ alg: 'ES256', kid: ca.kid, typ: 'JWT' })}.${b64({ aud: ca.audience, exp: now + 900, iat: now, iss: 'provisioner', jti: randomUUID(), nbf: now, sans: [subject], sha: ca.rootSha, sub: subject })}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), { key: ca.provisionerKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function stepJobs(ca: StepCa, spec: Spec, n: number) {
  const jobs: { csr: string; ott: string }[] = [];
  for (let i = 0; i < n; i++) {
    const subject = `node-${spec}-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const keys = await generateKeyPair(spec);
    const csr = await createCsr({ keys, commonName: subject, sans: [subject] });
    jobs.push({ csr: toPem(csr, 'CERTIFICATE REQUEST'), ott: stepToken(ca, subject) });
  }
  return jobs;
}

/** One run: `summarizeLoad`'s figures, whose server and round. */
type Run = Omit<SignRun, 'curve'> & { server: 'step-ca' | 'FedPKI'; curve: Spec; round: number };

/** Sorts step-ca's samples into kinds of work by the Go package of each symbol. */
const GO_KINDS: [string, (sym: string, kernel: boolean) => boolean][] = [
  ['kernel (syscalls, wake-ups, file and socket writes)', (_s, k) => k],
  ['TLS records (crypto/tls, AES-GCM, ChaCha20)', (s) => /^crypto\/(tls|aes|cipher|internal\/subtle)|chacha|poly1305|gcmAes|aesEnc|aesDec|ghash/i.test(s)],
  ['EC and hash arithmetic (ECDSA, P-256/P-384, SHA-2, big numbers)', (s) => /^(crypto\/(ecdsa|elliptic|internal\/nistec|internal\/edwards|sha256|sha512|internal\/fiat|rand)|math\/big|vendor\/golang.org\/x\/crypto\/cryptobyte)|p256|p384|sha256block|sha512block/.test(s)],
  ['x509, ASN.1, JOSE (parsing and building certificates and tokens)', (s) => /^(crypto\/x509|encoding\/(asn1|pem|base64)|gopkg.in\/square\/go-jose|go.step.sm|golang.org\/x\/crypto\/cryptobyte)/.test(s)],
  ['Badger (the database)', (s) => /dgraph-io|smallstep\/nosql/.test(s)],
  ['Go garbage collector', (s) => /^runtime\.(gc|mark|scan|sweep|greyobject|findObject|heapBits|wbBuf|bulkBarrier|(typed)?memclr|spanOf|pageIndexOf)/.test(s)],
  ['Go scheduler and allocator', (s) => /^runtime\./.test(s)],
  ['HTTP, JSON, logging', (s) => /^(net\/http|encoding\/json|github.com\/(sirupsen|go-chi|smallstep\/certificates\/(api|logging))|bufio|fmt|strconv|strings|bytes|reflect|unicode|sync|time|io|net\.)/.test(s)],
  ['step-ca (authority, provisioners)', (s) => /smallstep\/certificates/.test(s)],
];

/** step-ca's samples by kind of work, and its busiest symbols, in percent of its CPU. */
function goKinds(data: string): { kinds: [string, number][]; top: [string, number][] } {
  const r = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'sym', '-t', '|'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const kinds = new Map<string, number>();
  const top: [string, number][] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('#')) continue;
    const [pct, symbol] = line.split('|').map((p) => p.trim());
    if (!pct?.endsWith('%') || symbol === undefined) continue;
    const kernel = symbol.startsWith('[k]');
    const sym = symbol.slice(4).trim();
    const kind = GO_KINDS.find(([, test]) => test(sym, kernel))?.[0] ?? 'other';
    kinds.set(kind, (kinds.get(kind) ?? 0) + Number(pct.slice(0, -1)));
    top.push([sym, Number(pct.slice(0, -1))]);
  }
  return { kinds: [...kinds].sort((a, b) => b[1] - a[1]), top: top.sort((a, b) => b[1] - a[1]).slice(0, 12) };
}

const spread = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
const f = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/**
 * One enrollment's crypto floor in Node (floor.ts) and in step-ca's Go (go-floor.go,
 * built beside step-ca), taking turns for `floorRounds` rounds; medians in µs. Also Go's cost
 * of the verify x509.CreateCertificate makes after each signature.
 */
async function floors(): Promise<{ curve: Spec; nodeMicros: number; goMicros: number; goCheckMicros: number }[]> {
  const goFloor = join(stepCaBin, '../go-floor');
  if (!existsSync(goFloor)) return [];
  const out = [];
  for (const spec of specs) {
    const curve = spec === 'EC-P256' ? 'P-256' : 'P-384';
    const n = (curve === 'P-256' ? 3000 : 600) / (quick ? 10 : 1);
    const node: number[] = [];
    const go: { floorMicros: number; checkMicros: number }[] = [];
    for (let round = 0; round < floorRounds; round++) {
      node.push(await cryptoFloorMicros(curve, n));
      go.push(JSON.parse(execFileSync(goFloor, [curve, String(n)], { encoding: 'utf8' })));
    }
    out.push({ curve: spec, nodeMicros: median(node), goMicros: median(go.map((g) => g.floorMicros)), goCheckMicros: median(go.map((g) => g.checkMicros)) });
  }
  return out;
}

let stepCa: StepCa | undefined;
let fedpki: BenchServer | undefined;
try {
  stepCa = await startStepCa();
  fedpki = await startServer({ apiOnly: false });
  const fedpkiIdle = rssMiB(fedpki.pid).rss;
  // Each makes a run's tokens and CSRs, and names the intermediate its certificates must verify under.
  const contenders = {
    'step-ca': {
      jobs: async (spec: Spec, n: number) => ({ jobs: await stepJobs(stepCa!, spec, n), intermediatePem: stepCa!.intermediatePem }),
      origin: stepCa.origin,
      rootPem: stepCa.rootPem,
      pid: stepCa.pid,
    },
    FedPKI: {
      jobs: (spec: Spec, n: number) => makeJobs(fedpki!, spec, n),
      origin: fedpki.origin,
      rootPem: fedpki.rootPem,
      pid: fedpki.pid,
    },
  };
  const once = async (who: keyof typeof contenders, spec: Spec, n: number) => {
    const c = contenders[who];
    const { jobs, intermediatePem } = await c.jobs(spec, n);
    const out = await driveLoad({ jobs, origins: [c.origin], rootPem: c.rootPem, concurrency, pids: [c.pid] });
    return summarizeLoad(out, { spec, concurrency, count: n, intermediatePem, label: who });
  };
  const floorFigures = await floors();
  for (const x of floorFigures) {
    console.log(`crypto floor, ${x.curve}: Node ${f(x.nodeMicros)} µs, step-ca's Go ${f(x.goMicros)} µs per enrollment, and Go's check of each new certificate's signature ${f(x.goCheckMicros)} µs more (medians of ${floorRounds}, taking turns)`);
  }
  console.log(`step-ca: started in ${f(stepCa.startMs)} ms, idle RSS ${f(stepCa.idleRssMiB)} MiB; FedPKI: started in ${f(fedpki.startMs)} ms, idle RSS ${f(fedpkiIdle)} MiB`);
  // warm both up (JIT, connection pools, database files), not counted
  for (const spec of specs) for (const who of ['step-ca', 'FedPKI'] as const) await once(who, spec, Math.min(count, 1000));

  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const spec of specs) {
      // alternate who goes first, so neither always follows the other
      const order = (round % 2 === 1 ? ['step-ca', 'FedPKI'] : ['FedPKI', 'step-ca']) as (keyof typeof contenders)[];
      for (const who of order) {
        const r: Run = { ...(await once(who, spec, count)), server: who, curve: spec, round };
        runs.push(r);
        console.log(
          `round ${round} ${spec} ${who.padEnd(7)} ${f(r.certsPerSecond).padStart(5)} certs/s, p50 ${f(r.p50, 1)} ms, p99 ${f(r.p99, 1)} ms, server CPU ${f(r.serverCpuMsPerCert, 2)} ms/cert, load generator ${f(r.clientCpuMsPerCert, 2)}, peak RSS ${f(r.peakRssMiB)} MiB${r.errors ? `, ${r.errors} errors` : ''}`,
        );
      }
    }
  }

  const summary = specs.map((spec) => {
    const of = (who: string) => runs.filter((r) => r.curve === spec && r.server === who);
    const side = (who: string) => {
      const xs = of(who);
      return {
        certsPerSecond: median(xs.map((x) => x.certsPerSecond)),
        range: spread(xs.map((x) => x.certsPerSecond)),
        p50: median(xs.map((x) => x.p50)),
        p99: median(xs.map((x) => x.p99)),
        serverCpuMsPerCert: median(xs.map((x) => x.serverCpuMsPerCert)),
        peakRssMiB: Math.max(...xs.map((x) => x.peakRssMiB)),
      };
    };
    // ratios within a round: the two runs of a round share one machine state
    const paired = of('FedPKI').map((x) => {
      const s = of('step-ca').find((y) => y.round === x.round)!;
      return { throughput: x.certsPerSecond / s.certsPerSecond, cpu: s.serverCpuMsPerCert / x.serverCpuMsPerCert };
    });
    return {
      curve: spec,
      stepCa: side('step-ca'),
      fedpki: side('FedPKI'),
      throughputRatio: { median: median(paired.map((p) => p.throughput)), range: spread(paired.map((p) => p.throughput)) },
      cpuRatio: { median: median(paired.map((p) => p.cpu)), range: spread(paired.map((p) => p.cpu)) },
    };
  });
  console.log(`\nMedians of ${rounds} rounds, ${f(count)} enrollments each, concurrency ${concurrency}; ratios paired within each round:`);
  for (const s of summary) {
    for (const [name, x] of [['step-ca', s.stepCa], ['FedPKI', s.fedpki]] as const) {
      console.log(`  ${s.curve} ${name.padEnd(7)} ${f(x.certsPerSecond).padStart(5)} certs/s (${f(x.range[0]!)}–${f(x.range[1]!)}), p50 ${f(x.p50, 1)} ms, p99 ${f(x.p99, 1)} ms, server CPU ${f(x.serverCpuMsPerCert, 2)} ms/cert, peak RSS ${f(x.peakRssMiB)} MiB`);
    }
    console.log(`  ${s.curve} FedPKI/step-ca: throughput ${f(s.throughputRatio.median, 2)}× (${f(s.throughputRatio.range[0]!, 2)}–${f(s.throughputRatio.range[1]!, 2)}), step-ca's CPU per certificate ${f(s.cpuRatio.median, 2)}× FedPKI's (${f(s.cpuRatio.range[0]!, 2)}–${f(s.cpuRatio.range[1]!, 2)})`);
  }
  const profile: { curve: Spec; serverCpuMsPerCert: number; kinds: { kind: string; percent: number; microsPerCert: number }[]; top: { symbol: string; percent: number; microsPerCert: number }[] }[] = [];
  if (withPerf) {
    for (const spec of specs) {
      const data = join(tmpdir(), `fedpki-step-ca-perf-${process.pid}.data`);
      const recorder = spawn('perf', ['record', '-q', '-F', '1999', '-o', data, '-p', String(stepCa.pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      const x = await once('step-ca', spec, count);
      recorder.kill('SIGINT');
      await new Promise((r) => recorder.once('exit', r));
      const sampled = goKinds(data);
      const micros = (percent: number) => (percent / 100) * x.serverCpuMsPerCert * 1000;
      const kinds = sampled.kinds.map(([kind, percent]) => ({ kind, percent, microsPerCert: micros(percent) }));
      const top = sampled.top.map(([symbol, percent]) => ({ symbol, percent, microsPerCert: micros(percent) }));
      rmSync(data, { force: true });
      profile.push({ curve: spec, serverCpuMsPerCert: x.serverCpuMsPerCert, kinds, top });
      console.log(`\nstep-ca, ${spec}, by kind of work (perf, one run of ${f(count)}: ${f(x.certsPerSecond)} certs/s, ${f(x.serverCpuMsPerCert, 2)} ms/cert):`);
      for (const k of kinds) console.log(`  ${f(k.percent, 1).padStart(5)} %  ${f(k.microsPerCert).padStart(5)} µs/cert  ${k.kind}`);
      console.log('  busiest symbols:');
      for (const t of top) console.log(`  ${f(t.percent, 1).padStart(5)} %  ${f(t.microsPerCert).padStart(5)} µs/cert  ${t.symbol}`);
    }
  }
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `step-ca-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), count, rounds, concurrency, stepCa: { version: '0.19.0 (Debian golang-github-smallstep-certificates-dev)', idleRssMiB: stepCa.idleRssMiB, startMs: stepCa.startMs }, fedpki: { idleRssMiB: fedpkiIdle, startMs: fedpki.startMs }, floors: floorFigures, runs, summary, ...(withPerf ? { profile } : {}) }, null, 2));
  console.log(`\nwritten to ${file}`);
} finally {
  await fedpki?.stop();
  await stepCa?.stop();
}
