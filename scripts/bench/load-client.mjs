// A load generator for POST /1.0/sign, run as its own process so its CPU is not
// counted as the server's. Reads jobs ({csr, ott} pairs) from a JSON file, sends them
// over keep-alive HTTPS (HTTP/1.1 on `concurrency` TLS connections, one request in
// flight on each) and writes latencies and the issued certificates back as JSON. It
// never asserts anything about time; the caller checks every certificate afterwards.
//
// It speaks HTTP/1.1 itself over node:tls rather than through node:https: the load
// generator shares the machine's two cores with the server, and node:https's client
// machinery (agent, parser, request objects) cost ~0.3 ms of CPU per request, a fifth
// of the whole budget. The server sees the same bytes either way.
import tls from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';

const [, , jobsFile, outFile, origin, rootFile, concurrencyText] = process.argv;
const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'));
const ca = readFileSync(rootFile, 'utf8');
const concurrency = Number(concurrencyText);
// Several origins (comma-separated) spread the connections over several servers in turn.
const urls = origin.split(',').map((o) => new URL('/1.0/sign', o));
const url = urls[0];
const host = `${url.hostname}:${url.port}`;
let connections = 0;

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * A chunked body that starts at `at` in `buf`: its text and where the response ends,
 * 'incomplete' until the last chunk has arrived (trailers are not expected).
 */
function dechunk(buf, at) {
  const parts = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return 'incomplete';
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return new Error('malformed chunk size');
    if (buf.length < eol + 2 + size + 2) return 'incomplete';
    if (size === 0) return { body: Buffer.concat(parts).toString('utf8'), total: eol + 4 };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** One keep-alive connection; `send` writes a request and resolves with the response. */
function connect() {
  return new Promise((resolve, reject) => {
    const target = urls[connections++ % urls.length];
    const socket = tls.connect({ host: target.hostname, port: Number(target.port), ca, ALPNProtocols: ['http/1.1'] }, () => resolve(conn));
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let waiter = null;
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!waiter) return;
      const end = buf.indexOf(CRLF2);
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      let body;
      if (m) {
        const total = end + 4 + Number(m[1]);
        if (buf.length < total) return;
        body = buf.subarray(end + 4, total).toString('utf8');
        buf = buf.subarray(total);
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        // Go's net/http (step-ca, scripts/bench/step-ca.ts) chunks answers over 2 KiB.
        const chunked = dechunk(buf, end + 4);
        if (chunked === 'incomplete') return;
        if (chunked instanceof Error) return fail(chunked);
        body = chunked.body;
        buf = buf.subarray(chunked.total);
      } else return fail(new Error(`response without Content-Length: ${head.split('\r\n')[0]}`));
      const status = Number(head.slice(9, 12));
      const w = waiter;
      waiter = null;
      w.resolve({ status, body });
    });
    const fail = (e) => {
      const w = waiter;
      waiter = null;
      if (w) w.reject(e);
      else reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    const conn = {
      send(request) {
        return new Promise((res, rej) => {
          waiter = { resolve: res, reject: rej };
          socket.write(request);
        });
      },
      close: () => socket.destroy(),
    };
  });
}

const requests = jobs.map((j) => {
  const body = Buffer.from(JSON.stringify({ csr: j.csr, ott: j.ott, notBefore: '', notAfter: '' }));
  return Buffer.concat([Buffer.from(`POST /1.0/sign HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
});
const health = Buffer.from(`GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');
const latencies = new Array(requests.length);
const results = new Array(requests.length);
let next = 0;
let errors = 0;
// Connect and warm each connection, so handshakes are not in the timed part.
const conns = await Promise.all(Array.from({ length: concurrency }, connect));
await Promise.all(conns.map((c) => c.send(health)));
process.send?.({ ready: true });
await new Promise((r) => process.once('message', r));
const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
await Promise.all(
  conns.map(async (conn) => {
    for (;;) {
      const i = next++;
      if (i >= requests.length) return;
      const t0 = process.hrtime.bigint();
      try {
        const r = await conn.send(requests[i]);
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
        return; // the connection is gone; the others carry on
      }
    }
  }),
);
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
const cpu = process.cpuUsage(cpu0);
const clientCpuMs = (cpu.user + cpu.system) / 1000;
for (const c of conns) c.close();
writeFileSync(outFile, JSON.stringify({ wallMs, clientCpuMs, latencies, errors, certs: results }));
process.send?.({ done: true });
