/**
 * Where a signing server's CPU goes, per certificate: by thread (from /proc), and with
 * `--perf`, by kind of work (Linux `perf` samples of the whole process, JIT frames named
 * through --perf-basic-prof). Not part of `npm run bench`; a tool for working on the hot
 * path. Each run is preceded by an unmeasured one, so the figures are the warm server's.
 *
 *   npx tsx scripts/bench/where.ts [EC-P256|EC-P384] [count] [runs] [--perf [--keep]] [NAME=value …]
 *
 * --keep leaves the perf data and V8's symbol map in place for `perf report`.
 *
 * NAME=value pairs go to the server's environment (FEDPKI_SIGNING_THREADS=1, …).
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, threadCpu } from './server';
import { runSigning } from './signing';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--') && !a.includes('='));
const spec = (positional[0] ?? 'EC-P256') as 'EC-P256' | 'EC-P384';
const count = Number(positional[1] ?? 3000);
const runs = Number(positional[2] ?? 2);
const perf = args.includes('--perf');
const env = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));

/** Sorts perf's symbols into kinds of work. */
const KINDS: [string, (dso: string, sym: string, kernel: boolean) => boolean][] = [
  ['kernel (syscalls, wake-ups, file and socket writes)', (_d, _s, k) => k],
  ['SQLite', (d) => d.includes('sqlite')],
  ['JavaScript (JIT code, regular expressions)', (d) => d.startsWith('[JIT]') || d.startsWith('perf-')],
  ['EC and hash arithmetic', (_d, s) => /nistz256|^bn_|^BN_|ec_GFp|ecdsa|sha256|sha512|SHA\d|aesni|gcm|chacha|poly1305|^ossl_ec|EC_POINT|ec_key|ec_point|mont/i.test(s)],
  ['OpenSSL bookkeeping (name lookups, contexts)', (_d, s) => /OPENSSL|ossl_|EVP_|do_name|CRYPTO_|ASN1|asn1|OSSL|evp_|^ERR_|X509|PEM|BIO|strcmp|strcasecmp|LH_|tls|SSL|ssl|drbg|WPACKET|PACKET|ameth|sigver|pkey/.test(s)],
  ['malloc, free, memcpy', (_d, s) => /malloc|free|_int_|unlink_chunk|memmove|memset|memcpy|memcmp|realloc|calloc|operator new|operator delete/.test(s)],
  ['V8 optimizing compiler', (_d, s) => /compiler::|Maglev|Parser|Scanner/.test(s) && !s.includes('Json')],
  ['V8 garbage collector', (_d, s) => /Scaveng|Heap|Mark|Sweep|GC|Evacuat|RememberedSet|Concurrent/.test(s)],
  ['V8 structured clone (thread messages)', (_d, s) => /Serializer|Deserializer|MessagePort|Worker/.test(s)],
  ['V8 JSON', (_d, s) => s.includes('Json')],
  ['V8 builtins (property access, typed arrays, promises)', (_d, s) => s.startsWith('Builtins_') || s.startsWith('RegExp')],
  ['V8 and Node runtime (objects, strings, bindings)', (_d, s) => /v8::|node::|std::|llhttp|ada::|simdutf|uv_|pthread/.test(s)],
];

function perfKinds(data: string): [string, number][] {
  const r = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '-t', '|'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const kinds = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('#')) continue;
    const [pct, dso, symbol] = line.split('|').map((p) => p.trim());
    if (!pct?.endsWith('%') || dso === undefined || symbol === undefined) continue;
    const kernel = symbol.startsWith('[k]');
    const sym = symbol.slice(4).trim();
    const kind = KINDS.find(([, test]) => test(dso, sym, kernel))?.[0] ?? 'other';
    kinds.set(kind, (kinds.get(kind) ?? 0) + Number(pct.slice(0, -1)));
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}

const dir = mkdtempSync(join(tmpdir(), 'fedpki-where-'));
// --perf-basic-prof also starts V8's log: keep it out of the checkout.
const s = await startServer({ apiOnly: true, env, nodeArgs: perf ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`] : [] });
try {
  for (let i = 0; i < runs; i++) {
    await runSigning(s, spec, 16, count);
    const data = join(dir, `perf-${i}.data`);
    const recorder = perf ? spawn('perf', ['record', '-q', '-F', '1999', '-o', data, '-p', String(s.pid)], { stdio: 'ignore' }) : undefined;
    if (recorder) await new Promise((r) => setTimeout(r, 500));
    const before = threadCpu(s.pid);
    const x = await runSigning(s, spec, 16, count);
    const after = threadCpu(s.pid);
    if (recorder) {
      recorder.kill('SIGINT');
      await new Promise((r) => recorder.once('exit', r));
    }
    const perThread = after
      .map((t) => [t.kind === 'main' ? 'main' : `${t.name}(${t.tid})`, (t.ms - (before.find((b) => b.tid === t.tid)?.ms ?? 0)) / count] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1]);
    const k = x.serverCpuMsPerCertByThread;
    console.log(
      `${spec} c=16, ${count} certs: ${Math.round(x.certsPerSecond)} certs/s, p99 ${x.p99.toFixed(1)} ms, server CPU ${x.serverCpuMsPerCert.toFixed(3)} ms/cert (load generator ${x.clientCpuMsPerCert.toFixed(3)})`,
    );
    console.log(`  by kind of thread, timed part only, ms/cert: main ${k.main.toFixed(3)}, signing threads ${k.signing.toFixed(3)}, other ${k.other.toFixed(3)}`);
    console.log(`  by thread, ms/cert: ${perThread.map(([t, ms]) => `${t} ${ms.toFixed(3)}`).join(', ')}`);
    if (recorder) for (const [kind, pct] of perfKinds(data)) console.log(`  ${pct.toFixed(1).padStart(5)} %  ${((pct / 100) * x.serverCpuMsPerCert * 1000).toFixed(0).padStart(4)} µs/cert  ${kind}`);
  }
} finally {
  await s.stop();
  if (args.includes('--keep')) console.log(`perf data kept for perf report: ${dir}, /tmp/perf-${s.pid}.map`);
  else {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/tmp/perf-${s.pid}.map`, { force: true });
  }
}
