/**
 * A FedPKI server whose PostgreSQL goes away while it runs (the TCP path to the
 * database is cut, as by a network partition or a database restart), then comes back.
 * Meanwhile enrollment and revocation answer 503 `unavailable` in plain words (no 500,
 * no stack), the CRL the server holds is still served, OCSP says "try later", the log
 * names the driver's cause; afterwards the same token enrolls, because nothing was
 * consumed.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertId, createOcspRequest, parseOcspResponse } from '@/lib/pki/ocsp';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { freePort, newTestPostgresUrl, startFedpki, type Fedpki } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

let srv: Fedpki;
let ca: TestCa;
let proxy: TcpProxy;
let proxyPort: number;
let databasePort: number;

beforeAll(async () => {
  const databaseUrl = await newTestPostgresUrl();
  const proxied = new URL(databaseUrl);
  databasePort = Number(proxied.port);
  proxyPort = await freePort();
  proxy = await startTcpProxy(proxyPort, [databasePort]);
  proxied.port = String(proxyPort);
  srv = await startFedpki({ databaseUrl: proxied.toString() });
  // The test's own connection goes straight to the database.
  ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl });
});

afterAll(async () => {
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
  await proxy?.close();
});

const sign = (body: unknown) => httpsRequest(`${srv.origin}/1.0/sign`, { body, ca: srv.rootPem });

async function ocspFor(serial: string) {
  const int = ca.ctx().intermediate.fields;
  const id = await createCertId({ issuerName: int.subjectDer, issuerPublicKey: int.publicKey.subjectPublicKey, serialNumber: serial });
  const r = await httpsRequest(`${srv.origin}/ocsp`, { raw: Buffer.from(createOcspRequest([id])), headers: { 'Content-Type': 'application/ocsp-request' }, ca: srv.rootPem });
  expect(r.status).toBe(200);
  return parseOcspResponse(new Uint8Array(r.body));
}

describe('PostgreSQL goes away under a running server', () => {
  it('503 unavailable in plain words while it is gone; the held CRL is served, OCSP says try later; all works again after', async () => {
    const before = await ca.authority.mintToken('default', { subject: 'before' }, { id: 'test' });
    const first = await sign({ csr: (await makeCsr('before')).pem, ott: before.jwt });
    expect(first.status, first.text).toBe(201);
    const issued = await ca.rows<{ serial: string }>("select serial from certificates where common_name = 'before'");
    const serial = issued[0]!.serial;
    const crlBefore = await httpsRequest(`${srv.origin}/crl`, { ca: srv.rootPem });
    expect(crlBefore.status).toBe(200);
    expect((await ocspFor(serial)).status).toBe('successful');

    const during = await ca.authority.mintToken('default', { subject: 'during' }, { id: 'test' });
    const revokeToken = await ca.authority.mintRevokeToken({ serial }, { id: 'test' });
    const csr = await makeCsr('during');
    await proxy.close();

    const refused = await sign({ csr: csr.pem, ott: during.jwt });
    expect(refused.status, refused.text).toBe(503);
    expect(refused.json).toMatchObject({ status: 503, code: 'unavailable' });
    expect((refused.json as { message: string }).message).toMatch(/^The certificate authority (cannot reach|lost its connection to) its database; try again in a moment/);
    expect(refused.text).not.toMatch(/ECONN|postgres|at \//);

    const revoke = await httpsRequest(`${srv.origin}/1.0/revoke`, { body: { serial: BigInt(`0x${serial}`).toString(10), ott: revokeToken.jwt, reasonCode: 1 }, ca: srv.rootPem });
    expect(revoke.status, revoke.text).toBe(503);
    expect((revoke.json as { code: string }).code).toBe('unavailable');

    const crlDuring = await httpsRequest(`${srv.origin}/crl`, { ca: srv.rootPem });
    expect(crlDuring.status).toBe(200);
    expect(crlDuring.body.equals(crlBefore.body)).toBe(true);
    expect((await ocspFor(serial)).status).toBe('tryLater');

    // The operator's log has the driver's cause; the client did not get it.
    expect(srv.logs()).toMatch(/request failed .*cause=.*(ECONNREFUSED|Connection terminated)/);
    expect(srv.child.exitCode).toBeNull();
    if (process.env.FEDPKI_TEST_VERBOSE) console.log(srv.logs());

    proxy = await startTcpProxy(proxyPort, [databasePort]);
    // Nothing was consumed: the same token enrolls now, and the revocation goes through.
    let again = await sign({ csr: csr.pem, ott: during.jwt });
    for (let i = 0; i < 20 && again.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 250));
      again = await sign({ csr: csr.pem, ott: during.jwt });
    }
    expect(again.status, again.text).toBe(201);
    const revoked = await httpsRequest(`${srv.origin}/1.0/revoke`, { body: { serial: BigInt(`0x${serial}`).toString(10), ott: revokeToken.jwt, reasonCode: 1 }, ca: srv.rootPem });
    expect(revoked.status, revoked.text).toBe(200);
    const ocsp = await ocspFor(serial);
    expect(ocsp.responses[0]!.status).toMatchObject({ status: 'revoked', reasonCode: 1 });
  });
});
