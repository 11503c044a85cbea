import { defineCommand } from 'citty';
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CaError } from '../../lib/ca/errors';
import type { SignResponse } from '../../lib/enroll/client';
import { loadCredentials, prepareRekey, renewalToken, verifyRenewal } from '../../lib/enroll/renew';
import { describeCertificate } from '../../lib/pki/certificate';
import { fromPem } from '../../lib/pki/pem';
import { exportPkcs8 } from '../../lib/pki/keys';
import { privateKeyToPem } from '../../lib/pki/private-key';
import { guard, replaceFile, writableFolder } from '../_shared';
import { keySpecFromFlags, postToCa } from '../ca-client';

/** --ca-url as host:port or https URL; else the https origin of the certificate's AIA (its public URL). */
function caOrigin(arg: string | undefined, aia: string | undefined): string {
  const text = arg ?? aia;
  if (!text) throw new CaError('bad_request', 'Give the CA with --ca-url host:port (the address in your enrollment token).');
  const url = new URL(/^https?:\/\//.test(text) ? text : `https://${text}`);
  if (url.protocol !== 'https:') throw new CaError('bad_request', `The CA must be reached over https, not ${url.origin}: give --ca-url host:port.`);
  return url.origin;
}

/** The https origin among the certificate's AIA URLs (a federation's public URL), if any. */
async function aiaHttpsOrigin(leafDer: Uint8Array): Promise<string | undefined> {
  const info = await describeCertificate(leafDer);
  const url = [...info.ocsp, ...info.caIssuers].find((u) => u.startsWith('https://'));
  return url ? new URL(url).origin : undefined;
}

export default defineCommand({
  meta: { name: 'renew', description: 'On a node: renew a certificate with the current one (mTLS, like `step ca renew`); --rekey makes a new key' },
  args: {
    cert: { type: 'string', alias: 'c', required: true, description: 'the certificate file (NAME.crt); rewritten with the new chain' },
    key: { type: 'string', alias: 'k', required: true, description: 'its key file (NAME.key); rewritten with --rekey' },
    'ca-url': { type: 'string', description: 'the CA as host:port (default: the https address in the certificate, if any)' },
    root: { type: 'string', description: 'the root to trust (default root_ca.crt next to the certificate)' },
    rekey: { type: 'boolean', description: 'make a new key pair here and certify it instead' },
    kty: { type: 'string', description: 'with --rekey: EC or RSA (default: as the current key)' },
    curve: { type: 'string', description: 'with --rekey: P-256, P-384 or P-521' },
    size: { type: 'string', description: 'with --rekey: RSA size 2048, 3072 or 4096' },
    mtls: { type: 'boolean', default: true, description: 'authenticate with the certificate over mutual TLS (--no-mtls sends a signed renewal token instead)' },
    out: { type: 'string', description: 'write the new certificate here instead of over --cert' },
    'key-out': { type: 'string', description: 'with --rekey: write the new key here instead of over --key' },
  },
  run: ({ args }) =>
    guard(async () => {
      const certPath = resolve(args.cert);
      const keyPath = resolve(args.key);
      const certPem = readFileSync(certPath, 'utf8');
      const keyPem = readFileSync(keyPath, 'utf8');
      const creds = await loadCredentials(certPem, keyPem);
      const rootPath = resolve(args.root ?? join(dirname(certPath), 'root_ca.crt'));
      if (!existsSync(rootPath)) throw new CaError('not_found', `No root certificate at ${rootPath}: give it with --root.`);
      const rootPem = readFileSync(rootPath, 'utf8');
      const rootDer = fromPem(rootPem, 'CERTIFICATE');
      if (!rootDer) throw new CaError('bad_request', `${rootPath} holds no certificate.`);
      const origin = caOrigin(args['ca-url'], args['ca-url'] ? undefined : await aiaHttpsOrigin(creds.chain[0]!));
      const expired = creds.leaf.notAfter.getTime() < Date.now();
      // Like step: a TLS stack will not present an expired certificate usefully, so use the token then.
      const useToken = !args.mtls || expired;
      const rekey = args.rekey ? await prepareRekey(creds, keySpecFromFlags({ kty: args.kty, curve: args.curve, size: args.size }, creds.key.spec)) : undefined;
      const outPath = resolve(args.out ?? certPath);
      const keyOut = resolve(args['key-out'] ?? keyPath);
      // Before the CA is asked: a renewal that cannot be written is wasted, and a new key lost.
      writableFolder(dirname(outPath));
      if (rekey) writableFolder(dirname(keyOut));
      const bearer = useToken ? await renewalToken(creds, origin, rekey?.csrDer) : undefined;
      const cn = creds.leaf.subject.commonName ?? creds.leaf.serialNumber;
      process.stderr.write(`${rekey ? 'Rekeying' : 'Renewing'} ${cn} (serial ${creds.leaf.serialNumber}) with ${origin} ${useToken ? 'using a signed renewal token' : 'over mutual TLS'}\n`);
      const response = await postToCa<SignResponse>({
        origin,
        path: rekey ? '/rekey' : '/renew',
        body: rekey ? { csr: rekey.csrPem } : undefined,
        rootPem,
        cert: useToken ? undefined : certPem,
        key: useToken ? undefined : keyPem,
        bearer,
      });
      const currentSpki = new Uint8Array(createPublicKey({ key: keyPem, format: 'pem' }).export({ type: 'spki', format: 'der' }));
      const result = await verifyRenewal(creds, response, rekey?.spki ?? currentSpki, rootDer);
      if (rekey) {
        // The key goes first: a certificate without its key is worse than the reverse.
        replaceFile(keyOut, privateKeyToPem(await exportPkcs8(rekey.keys.privateKey), creds.key.format));
        process.stderr.write(`Wrote the new ${rekey.spec} key to ${keyOut}\n`);
      }
      replaceFile(outPath, result.chainPem);
      process.stderr.write(`Certificate ${result.serialNumber} valid until ${result.notAfter.toISOString()} (was ${creds.leaf.notAfter.toISOString()}); wrote ${outPath}\n`);
      process.stdout.write(`${result.serialNumber}\n`);
    }),
});
