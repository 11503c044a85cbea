// A load generator for POST /1.0/sign, run as its own process so its CPU is not
// counted as the server's. Reads jobs ({csr, ott} pairs) from a JSON file, sends them
// over keep-alive HTTPS at a fixed concurrency, and writes latencies and the issued
// certificates back as JSON. It never asserts anything about time.
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';

const [, , jobsFile, outFile, origin, rootFile, concurrencyText] = process.argv;
const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'));
const ca = readFileSync(rootFile, 'utf8');
const concurrency = Number(concurrencyText);
const url = new URL('/1.0/sign', origin);
const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca });

function post(body) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = https.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const bodies = jobs.map((j) => JSON.stringify({ csr: j.csr, ott: j.ott, notBefore: '', notAfter: '' }));
const latencies = new Array(bodies.length);
const results = new Array(bodies.length);
let next = 0;
let errors = 0;
// warm the connections so handshakes are not in the timed part
await Promise.all(Array.from({ length: concurrency }, () => new Promise((r) => https.get({ hostname: url.hostname, port: url.port, path: '/health', agent }, (res) => { res.resume(); res.on('end', r); }).on('error', r))));
process.send?.({ ready: true });
await new Promise((r) => process.once('message', r));
const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const t0 = process.hrtime.bigint();
      try {
        const r = await post(bodies[i]);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status === 201) results[i] = JSON.parse(r.body).crt;
        else {
          errors++;
          results[i] = null;
          if (errors < 5) process.stderr.write(`HTTP ${r.status}: ${r.body}\n`);
        }
      } catch (e) {
        errors++;
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        if (errors < 5) process.stderr.write(`${e.message}\n`);
      }
    }
  }),
);
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
const cpu = process.cpuUsage(cpu0);
const clientCpuMs = (cpu.user + cpu.system) / 1000;
agent.destroy();
writeFileSync(outFile, JSON.stringify({ wallMs, clientCpuMs, latencies, errors, certs: results }));
process.send?.({ done: true });
