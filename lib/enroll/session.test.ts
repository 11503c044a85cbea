import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryAuthority } from '@/test/helpers/memory-store';
import type { CertificateAuthority } from '../ca/authority';
import { isCaError } from '../ca/errors';
import { fromPem } from '../pki/pem';
import { colonHex, fromUtf8, toBase64, utf8 } from '../pki/encoding';
import { readPkcs12 } from '../pki/pkcs12';
import { decryptPrivateKey } from '../pki/pkcs8';
import { exportPkcs8 } from '../pki/keys';
import { buildDownload } from './downloads';
import { RefusalError, postSignRequest, readTokenForPage, requestCertificate, type EnrolledNode } from './session';
import { pemLabelOf } from '@/test/helpers/unit';

let authority: CertificateAuthority;
beforeAll(async () => {
  ({ authority } = await memoryAuthority());
});

/** A fetch that answers POST /sign from the in-memory CA, as server/step-api.ts does; records bodies. */
function caFetch(sent: string[] = []): typeof fetch {
  return (async (_url: string, init: RequestInit) => {
    sent.push(String(init.body));
    const { csr, ott } = JSON.parse(String(init.body)) as { csr: string; ott: string };
    try {
      const r = await authority.signWithToken({ csr: fromPem(csr)!, ott });
      return new Response(JSON.stringify({ crt: r.certificate, ca: r.intermediate, certChain: r.chain }), { status: 201 });
    } catch (e) {
      if (!isCaError(e)) throw e;
      return new Response(JSON.stringify(e.toJSON()), { status: e.status });
    }
  }) as unknown as typeof fetch;
}

const mint = async (subject = 'collaborator1', sans?: string[]) => (await authority.mintToken('default', { subject, sans }, { id: 'test' })).token;

async function refusalOf(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RefusalError);
  return (e as RefusalError).refusal;
}

describe('readTokenForPage', () => {
  it('ok/summarises what the person must check', async () => {
    const { summary, token } = await readTokenForPage(await mint('collaborator1', ['collaborator1', '10.0.0.7']));
    expect(summary).toMatchObject({ subject: 'collaborator1', sans: ['collaborator1', '10.0.0.7'], federation: 'Test Federation', caOrigin: 'https://localhost:9123' });
    expect(summary.rootFingerprint).toBe(authority.federation('default').root.fingerprint);
    // As the portal shows it (app/_components/hex.tsx): uppercase bytes between colons.
    expect(summary.fingerprintGroups).toHaveLength(8);
    expect(summary.fingerprintGroups.join(':')).toBe(colonHex(summary.rootFingerprint));
    expect(summary.fingerprintGroups[0]).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){3}$/);
    expect(token.jwt.split('.')).toHaveLength(3);
  });

  it('fail/malformed, truncated, expired and tampered tokens are refused in words', async () => {
    const good = await mint();
    expect((await refusalOf(readTokenForPage('hello'))).code).toBe('token_malformed');
    expect((await refusalOf(readTokenForPage(good.slice(0, good.length - 200)))).code).toBe('token_malformed');
    expect((await refusalOf(readTokenForPage(good.slice(0, 100)))).title).toBe('This is not a whole enrollment token.');
    const expired = await refusalOf(readTokenForPage(good, new Date(Date.now() + 25 * 3600 * 1000)));
    expect(expired).toMatchObject({ code: 'token_expired', title: 'This token has expired.', remedy: 'new-token' });
    // another root in place of the one the token names
    const [jwtB64] = good.split('.');
    const other = (await memoryAuthority()).authority.federation('default').root.pem;
    expect((await refusalOf(readTokenForPage(`${jwtB64}.${toBase64(utf8(other))}`))).code).toBe('token_claims_invalid');
  });
});

describe('requestCertificate', () => {
  let node: EnrolledNode;
  const sent: string[] = [];
  const steps: string[] = [];

  beforeAll(async () => {
    const { token } = await readTokenForPage(await mint('collaborator2'));
    node = await requestCertificate(token, 'EC-P256', { fetch: caFetch(sent), onStep: (s) => steps.push(s) });
  });

  it('ok/reports its steps, sends only {csr, ott}, and verifies the answer', async () => {
    expect(steps).toEqual(['prepare', 'submit', 'verify']);
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]!) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['csr', 'ott']);
    expect(body.ott).toBe(node.token.jwt);
    const pkcs8 = await exportPkcs8(node.keys.privateKey);
    expect(sent[0]).not.toContain(toBase64(pkcs8).slice(0, 40));
    expect(node.verified.leafPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(node.timings.prepare).toBeGreaterThanOrEqual(0);
  });

  it('ok/the downloads carry the expected files', async () => {
    const dirEnvoy = await buildDownload(node, { kind: 'director-envoy' });
    expect(dirEnvoy).toMatchObject({ filename: 'collaborator2-openfl-director-envoy.zip', containsKey: true });
    expect(Object.keys(unzipSync(dirEnvoy.bytes))).toEqual(['cert/root_ca.crt', 'cert/collaborator2.crt', 'cert/collaborator2.key']);

    const agg = await buildDownload(node, { kind: 'aggregator', role: 'collaborator' });
    expect(Object.keys(unzipSync(agg.bytes))).toEqual(['cert/cert_chain.crt', 'cert/client/col_collaborator2.crt', 'cert/client/col_collaborator2.key']);

    const cert = await buildDownload(node, { kind: 'certificate' });
    expect(cert).toMatchObject({ filename: 'collaborator2.crt', containsKey: false });
    expect(fromUtf8(cert.bytes)).toBe(node.verified.chainPem);

    const plainKey = await buildDownload(node, { kind: 'key' });
    expect(pemLabelOf(fromUtf8(plainKey.bytes))).toBe('EC PRIVATE KEY');
    const encKey = await buildDownload(node, { kind: 'key', password: 'a passphrase' });
    const encrypted = fromPem(fromUtf8(encKey.bytes), 'ENCRYPTED PRIVATE KEY')!;
    expect(await decryptPrivateKey(encrypted, 'a passphrase')).toEqual(await exportPkcs8(node.keys.privateKey));
  });

  it('ok/the PKCS#12 file holds the key and the three certificates', async () => {
    const p12 = await buildDownload(node, { kind: 'pkcs12', password: 'a passphrase' });
    expect(p12.filename).toBe('collaborator2.p12');
    const back = await readPkcs12(p12.bytes, 'a passphrase');
    expect(back.privateKeys).toHaveLength(1);
    expect(back.certificates).toHaveLength(3);
  }, 60_000);

  it('fail/a second use of the token is refused with its own sentence', async () => {
    const r = await refusalOf(requestCertificate(node.token, 'EC-P256', { fetch: caFetch() }));
    expect(r).toMatchObject({ code: 'token_used', title: 'This token has already been used.', remedy: 'new-token' });
  });

  it('fail/an answer for another key is not offered', async () => {
    const { token } = await readTokenForPage(await mint('collaborator3'));
    const other = node.verified;
    const fake = (async () => new Response(JSON.stringify({ crt: other.leafPem, ca: other.intermediatesPem[0], certChain: [other.leafPem, ...other.intermediatesPem] }), { status: 201 })) as unknown as typeof fetch;
    const r = await refusalOf(requestCertificate(token, 'EC-P256', { fetch: fake }));
    expect(r.code).toBe('verification_failed');
    expect(r.detail).toMatch(/not for the key made here/);
  });
});

describe('postSignRequest', () => {
  const answer = (status: number, body: string) => (async () => new Response(body, { status })) as unknown as typeof fetch;

  it('fail/maps codes, unknown codes, non-JSON and network failures', async () => {
    expect((await refusalOf(postSignRequest('csr', 'jwt', { fetch: answer(401, '{"status":401,"code":"token_cancelled","message":"m"}') }))).title).toBe(
      'Your administrator cancelled this token.',
    );
    expect((await refusalOf(postSignRequest('csr', 'jwt', { fetch: answer(403, '{"code":"something_new"}') }))).title).toBe(
      'The certificate authority could not read the request.',
    );
    expect((await refusalOf(postSignRequest('csr', 'jwt', { fetch: answer(502, '<html>bad gateway</html>') }))).code).toBe('http_502');
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    expect((await refusalOf(postSignRequest('csr', 'jwt', { fetch: offline }))).code).toBe('network');
    expect((await refusalOf(postSignRequest('csr', 'jwt', { fetch: answer(201, '{}') }))).code).toBe('internal');
  });
});
