import { defineCommand } from 'citty';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CaError } from '../../lib/ca/errors';
import { prepareEnrollment, readEnrollmentToken, verifyEnrollment, type SignResponse } from '../../lib/enroll/client';
import { exportPkcs8, type KeySpec } from '../../lib/pki/keys';
import { guard } from '../_shared';

/** POSTs to the CA, trusting only the root inside the token (as step pins the `sha` root). */
function postJson<T>(origin: string, path: string, body: unknown, rootPem: string): Promise<T> {
  const url = new URL(path, origin);
  const payload = JSON.stringify(body);
  return new Promise((resolveP, reject) => {
    const req = https.request(
      {
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: url.pathname,
        method: 'POST',
        ca: rootPem,
        servername: isIP(url.hostname.replace(/^\[|\]$/g, '')) ? undefined : url.hostname,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return reject(new CaError('internal', `The CA answered ${res.statusCode} with something that is not JSON.`));
          }
          if ((res.statusCode ?? 500) >= 300) {
            const message = (json as { message?: string }).message ?? `HTTP ${res.statusCode}`;
            return reject(new CaError('forbidden', `The CA refused: ${message}`));
          }
          resolveP(json as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the CA did not answer within 30 s')));
    req.on('error', (e) =>
      reject(new CaError('unavailable', `Cannot reach the CA at ${origin}: ${e.message}. Is FedPKI running there, and does its certificate chain to the token's root?`)),
    );
    req.end(payload);
  });
}

function keySpecFrom(kty: string, curve: string | undefined, size: string | undefined): KeySpec {
  if (kty.toUpperCase() === 'EC') {
    const c = (curve ?? 'P-384').toUpperCase();
    const spec = { 'P-256': 'EC-P256', 'P-384': 'EC-P384', 'P-521': 'EC-P521' }[c];
    if (!spec) throw new CaError('bad_request', '--curve is P-256, P-384 or P-521.');
    return spec as KeySpec;
  }
  if (kty.toUpperCase() === 'RSA') {
    const bits = size ?? '2048';
    if (!['2048', '3072', '4096'].includes(bits)) throw new CaError('bad_request', '--size is 2048, 3072 or 4096.');
    return `RSA-${bits}` as KeySpec;
  }
  throw new CaError('bad_request', '--kty is EC or RSA.');
}

export default defineCommand({
  meta: { name: 'certify', description: 'On a node: make a key here, enroll it with a token, and write root_ca.crt, NAME.crt and NAME.key' },
  args: {
    name: { type: 'string', alias: 'n', required: true, description: 'the name the token was minted for' },
    token: { type: 'string', alias: 't', required: true, description: 'the enrollment token' },
    'certs-path': { type: 'string', alias: 'c', default: './cert', description: 'where to write the files (default ./cert)' },
    'ca-path': { type: 'string', alias: 'p', description: 'accepted for `fx pki certify` compatibility; unused' },
    kty: { type: 'string', default: 'EC', description: 'key type: EC (default) or RSA' },
    curve: { type: 'string', description: 'EC curve: P-256, P-384 (default) or P-521' },
    size: { type: 'string', description: 'RSA size: 2048 (default), 3072 or 4096' },
  },
  run: ({ args }) =>
    guard(async () => {
      const token = await readEnrollmentToken(args.token);
      if (token.claims.sub.toLowerCase() !== args.name.toLowerCase()) {
        throw new CaError('bad_request', `token subject '${token.claims.sub}' and argument '${args.name}' do not match`);
      }
      const spec = keySpecFrom(args.kty, args.curve, args.size);
      process.stderr.write(`Enrolling ${token.claims.sub} with ${token.caOrigin} (root ${token.rootFingerprint.slice(0, 16)}…), ${spec} key made here\n`);
      const prepared = await prepareEnrollment(token, spec);
      const response = await postJson<SignResponse>(token.caOrigin, '/sign', { csr: prepared.csrPem, ott: token.jwt, notBefore: '', notAfter: '' }, token.rootPem);
      const result = await verifyEnrollment(token, prepared, response);

      const dir = resolve(args['certs-path']);
      mkdirSync(dir, { recursive: true });
      const pkcs8 = Buffer.from(await exportPkcs8(prepared.keys.privateKey));
      const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      // The formats step writes: SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", unencrypted, 0600.
      const keyPem = keyObject.export({ type: spec.startsWith('EC') ? 'sec1' : 'pkcs1', format: 'pem' }) as string;
      writeFileSync(join(dir, 'root_ca.crt'), result.rootPem, { mode: 0o644 });
      writeFileSync(join(dir, `${args.name}.crt`), result.chainPem, { mode: 0o600 });
      writeFileSync(join(dir, `${args.name}.key`), keyPem, { mode: 0o600 });
      process.stderr.write(`Certificate ${result.serialNumber} valid until ${result.notAfter.toISOString()}\nWrote ${join(dir, 'root_ca.crt')}, ${args.name}.crt and ${args.name}.key\n`);
    }),
});
