/**
 * What the node-side verbs (`certify`, `renew`) share: a POST to the CA that trusts only
 * the federation's root, and the `--kty/--curve/--size` flags as a key spec.
 */

import https from 'node:https';
import { isIP } from 'node:net';
import { CaError } from '../lib/ca/errors';
import type { KeySpec } from '../lib/pki/keys';

export interface PostOptions {
  origin: string;
  path: string;
  /** JSON body; none for a renewal over mTLS. */
  body?: unknown;
  /** The only root trusted for the connection (as step pins the token's `sha` root). */
  rootPem: string;
  /** Client certificate chain and key for mutual TLS. */
  cert?: string;
  key?: string;
  bearer?: string;
  /** Added to the message when the CA cannot be reached. */
  unreachableHint?: string;
}

/** POSTs to the CA and returns its JSON answer; a refusal, an unreachable CA or a non-JSON answer is a CaError. */
export function postToCa<T>(o: PostOptions): Promise<T> {
  const url = new URL(o.path, o.origin);
  const payload = o.body === undefined ? '' : JSON.stringify(o.body);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const headers: Record<string, string> = { 'Content-Length': String(Buffer.byteLength(payload)) };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  if (o.bearer) headers.Authorization = `Bearer ${o.bearer}`;
  return new Promise((resolveP, reject) => {
    const req = https.request(
      { hostname: host, port: url.port || 443, path: url.pathname, method: 'POST', ca: o.rootPem, cert: o.cert, key: o.key, servername: isIP(host) ? undefined : host, headers, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return reject(new CaError('internal', `The CA answered ${res.statusCode} with something that is not JSON.`));
          }
          if ((res.statusCode ?? 500) >= 300) return reject(new CaError('forbidden', `The CA refused: ${(json as { message?: string }).message ?? `HTTP ${res.statusCode}`}`));
          resolveP(json as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the CA did not answer within 30 s')));
    req.on('error', (e) => reject(connectionError(e, o)));
    req.end(payload);
  });
}

/** TLS verification failures: something answered, but not a CA of the trusted root. */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function connectionError(e: Error, o: PostOptions): CaError {
  const code = (e as { code?: string }).code ?? '';
  if (UNTRUSTED.has(code)) {
    return new CaError(
      'unavailable',
      `The server at ${o.origin} answered, but it is not this federation's CA: its TLS certificate does not chain to the federation's root (${e.message}). Use the CA URL of the federation that issued the certificate or token.`,
    );
  }
  return new CaError('unavailable', `Cannot reach the CA at ${o.origin}: ${e.message}.${o.unreachableHint ? ` ${o.unreachableHint}` : ''}`);
}

const CURVES: Record<string, KeySpec> = { 'P-256': 'EC-P256', 'P-384': 'EC-P384', 'P-521': 'EC-P521' };

/**
 * `--kty/--curve/--size` as a key spec, as step reads them: EC defaults to P-384 and RSA
 * to 2048 bits; without --kty, --curve means EC and --size RSA; no flag at all is `fallback`.
 */
export function keySpecFromFlags(f: { kty?: string; curve?: string; size?: string }, fallback: KeySpec): KeySpec {
  if (!f.kty && !f.curve && !f.size) return fallback;
  const kty = (f.kty ?? (f.curve ? 'EC' : 'RSA')).toUpperCase();
  if (kty === 'EC' && f.size) throw new CaError('bad_request', '--size is for RSA keys; an EC key takes --curve.');
  if (kty === 'RSA' && f.curve) throw new CaError('bad_request', '--curve is for EC keys; an RSA key takes --size.');
  if (kty === 'EC') {
    const spec = CURVES[(f.curve ?? 'P-384').toUpperCase().replace(/^P-?(\d+)$/, 'P-$1')];
    if (!spec) throw new CaError('bad_request', '--curve is P-256, P-384 or P-521.');
    return spec;
  }
  if (kty === 'RSA') {
    const bits = f.size ?? '2048';
    if (!['2048', '3072', '4096'].includes(bits)) throw new CaError('bad_request', '--size is 2048, 3072 or 4096.');
    return `RSA-${bits}` as KeySpec;
  }
  throw new CaError('bad_request', '--kty is EC or RSA.');
}
