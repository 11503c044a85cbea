// The server half of http-floor.ts: answers POST /1.0/sign with a canned body the size
// of a real /sign answer, doing no CA work. Mode `https` uses node:https as FedPKI does
// (body read, JSON.parse, the answer stringified, the API's headers); mode `tls` parses
// HTTP/1.1 itself over node:tls, as the load generator does on its side.
import https from 'node:https';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const [, , mode, keyFile, certFile] = process.argv;
const options = { key: readFileSync(keyFile), cert: readFileSync(certFile), minVersion: 'TLSv1.2' };
// A P-256 leaf or intermediate is ~650 bytes of DER: ~900 bytes of PEM.
const pem = `-----BEGIN CERTIFICATE-----\n${`${'A'.repeat(64)}\n`.repeat(13)}-----END CERTIFICATE-----\n`;
const answer = JSON.stringify({ crt: pem, ca: pem, certChain: [pem, pem], tlsOptions: { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'], minVersion: 1.2, maxVersion: 1.3, renegotiation: false } });
const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'" };

let server;
if (mode === 'https') {
  server = https.createServer(options, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (chunks.length) JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const text = JSON.stringify(JSON.parse(answer));
      res.writeHead(req.url === '/1.0/sign' ? 201 : 200, { ...headers, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
} else {
  const CRLF2 = Buffer.from('\r\n\r\n');
  server = tls.createServer(options, (socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const end = buf.indexOf(CRLF2);
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        const body = buf.subarray(end + 4, total);
        buf = buf.subarray(total);
        if (body.length) JSON.parse(body.toString('utf8'));
        const text = JSON.stringify(JSON.parse(answer));
        socket.write(`HTTP/1.1 ${head.startsWith('POST') ? 201 : 200} OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      }
    });
  });
}
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
