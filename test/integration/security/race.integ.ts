/**
 * One token, fifty clients, fifty separate TLS connections, all at once: exactly one
 * certificate, forty-nine clear refusals, and one audit entry for each of the fifty.
 * With the default signing setup most of the fifty overflow the signing thread's queue
 * and wait; the main thread signs some of them and the thread the rest, so both paths
 * race each other. A second server with a queue of one does the same with nearly
 * everything waiting; on both, sixteen different tokens are also issued at once.
 */

import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCa, type TestCa } from '../../helpers/ca';
import { makeCsr } from '../../helpers/csr';
import { httpsRequest } from '../../helpers/https';
import { startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';

describe.each([
  ['default signing threads', {}],
  ['one signing thread with a queue of one', { FEDPKI_SIGNING_THREADS: '1', FEDPKI_SIGNING_QUEUE: '1' }],
])('a token raced by fifty clients, %s', (label, env) => {
  let srv: Fedpki;
  let ca: TestCa;

  beforeAll(async () => {
    srv = await startFedpki({ env });
    ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
  });

  afterAll(async () => {
    await ca?.close();
    await srv?.stop();
    srv?.cleanup();
  });

  it('yields exactly one certificate and forty-nine token_used refusals, each audited', async () => {
    const minted = srv.cli(['get-token', '-n', 'raced-node', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(minted.status).toBe(0);
    const jwt = Buffer.from(minted.stdout.trim().split('.')[0]!, 'base64').toString();
    const jti = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti as string;
    const csrs = await Promise.all(Array.from({ length: 50 }, () => makeCsr('raced-node')));
    const { audit: auditBefore, certificates: certsBefore } = await ca.counts();

    // Open fifty connections first, then fire all requests together.
    const agents = csrs.map(() => new https.Agent({ keepAlive: true, maxSockets: 1 }));
    await Promise.all(agents.map((agent) => httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem, agent })));
    const results = await Promise.all(
      csrs.map((csr, i) => httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: csr.pem, ott: jwt }, ca: srv.rootPem, agent: agents[i] })),
    );
    for (const a of agents) a.destroy();

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    const refusals = results.filter((r) => r.status !== 201);
    expect(refusals).toHaveLength(49);
    for (const r of refusals) {
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ status: 401, code: 'token_used', message: expect.stringMatching(/already been used/) });
    }
    expect((await ca.counts()).certificates).toBe(certsBefore + 1);
    const token = await ca.store.getToken(jti);
    expect(token?.state).toBe('used');
    // Audit ids follow the count here: the log is append-only and starts at 1.
    const rows = await ca.rows<{ action: string; outcome: string }>(`select action, outcome from audit_log where id > ${Number(auditBefore)} order by id`);
    const issued = rows.filter((r) => r.action === 'CERT_ISSUED');
    const refused = rows.filter((r) => r.action === 'TOKEN_REFUSED');
    expect(issued).toHaveLength(1);
    expect(refused).toHaveLength(49);
    expect(refused.every((r) => r.outcome === 'failure')).toBe(true);
    if (label === 'default signing threads') recordFigures('race', { submissions: 50, issued: issued.length, refused: refused.length, audited: issued.length + refused.length });
    const [cert] = await ca.rows<{ serial: string }>(`select serial from certificates where token_jti = '${jti.replace(/[^0-9a-f]/g, '')}'`);
    expect(token?.certSerial).toBe(cert!.serial);
  });

  it('sixteen different tokens at once: sixteen certificates, each for its own subject', async () => {
    const subjects = Array.from({ length: 16 }, (_, i) => `parallel-${i}`);
    const jwts: string[] = [];
    for (const n of subjects) jwts.push((await ca.authority.mintToken('default', { subject: n }, { id: 'test' })).jwt);
    const csrs = await Promise.all(subjects.map((n) => makeCsr(n)));
    const agents = csrs.map(() => new https.Agent({ keepAlive: true, maxSockets: 1 }));
    await Promise.all(agents.map((agent) => httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem, agent })));
    const results = await Promise.all(
      csrs.map((csr, i) => httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: csr.pem, ott: jwts[i] }, ca: srv.rootPem, agent: agents[i] })),
    );
    for (const a of agents) a.destroy();
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(201));
    const issuer = new X509Certificate((results[0]!.json as { ca: string }).ca);
    results.forEach((r, i) => {
      const leaf = new X509Certificate((r.json as { crt: string }).crt);
      expect(leaf.subject).toBe(`CN=${subjects[i]}`);
      expect(leaf.verify(issuer.publicKey)).toBe(true);
    });
  });
});
