/**
 * FedPKI against step's own client code, not a description of it: test/step-client
 * does what `fx pki certify` does through smallstep/certificates' ca.Client and
 * go.step.sm/crypto's CSR builder (built here from Debian's Go sources). It bootstraps
 * trust from the token's sha, posts its CSR to the CA in the token's aud, and decodes
 * FedPKI's answers and errors into step's own types. openssl checks what it writes.
 * The same client renews over mTLS and with a token, and revokes with a token, as
 * `step ca renew [--mtls=false]` and `step ca revoke` do.
 */

import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/https';
import { openssl, x509Text } from '../helpers/openssl';
import { ROOT, tempDir } from '../helpers/paths';
import { startFedpki, type Fedpki } from '../helpers/server';
import { buildStepClient, stepCertify, stepClient, stepClientWanted } from '../helpers/step-client';

describe.skipIf(!stepClientWanted())("step's own client (fx pki certify's code path)", () => {
  let srv: Fedpki;
  let tmp: ReturnType<typeof tempDir>;
  let step: string;

  beforeAll(async () => {
    tmp = tempDir();
    step = buildStepClient(tmp.path);
    srv = await startFedpki();
  }, 240_000);

  afterAll(async () => {
    await srv?.stop();
    srv?.cleanup();
    tmp?.remove();
  });

  /** The fx token with its JWT's claims changed (the signature no longer fits them). */
  function withClaims(token: string, change: (claims: Record<string, unknown>) => void): string {
    const [jwtB64, root] = token.split('.') as [string, string];
    const [header, payload, signature] = Buffer.from(jwtB64, 'base64').toString().split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    change(claims);
    const jwt = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    return `${Buffer.from(jwt).toString('base64')}.${root}`;
  }

  it('enrolls a node: the chain verifies under the root in the token, the key fits the leaf, and the files are laid out as fx pki certify lays them out', () => {
    const dir = join(tmp.path, 'collaborator1');
    const r = stepCertify(step, 'collaborator1', srv.mint('collaborator1'), dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^serial=\d+ issuer="[^"]+ Intermediate CA" chain=2 tlsOptions=true\n$/);

    const crt = join(dir, 'collaborator1.crt');
    expect(readFileSync(crt, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(readFileSync(join(dir, 'root_ca.crt'), 'utf8')).toBe(srv.rootPem);
    expect(openssl(['verify', '-CAfile', join(dir, 'root_ca.crt'), '-untrusted', crt, crt]).stdout).toContain(': OK');
    const fromKey = openssl(['pkey', '-in', join(dir, 'collaborator1.key'), '-pubout']).stdout;
    expect(fromKey).toContain('BEGIN PUBLIC KEY');
    expect(openssl(['x509', '-in', crt, '-noout', '-pubkey']).stdout).toBe(fromKey);
    expect(statSync(join(dir, 'collaborator1.key')).mode & 0o777).toBe(0o600);

    const text = x509Text(readFileSync(crt, 'utf8'));
    expect(text).toMatch(/Subject: CN ?= ?collaborator1\n/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:collaborator1\n/);
    expect(text).toMatch(/Public-Key: \(384 bit\)/);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
  });

  it('enrolls an aggregator whose token names a DNS name and an IP address: step splits them into SAN types and FedPKI accepts the split', () => {
    const dir = join(tmp.path, 'aggregator');
    const token = srv.mint('agg.example.org', ['--role', 'aggregator', '--san', 'agg.example.org', '--san', '10.1.2.3']);
    const r = stepCertify(step, 'agg.example.org', token, dir);
    expect(r.status, r.stderr).toBe(0);
    const text = x509Text(readFileSync(join(dir, 'agg.example.org.crt'), 'utf8'));
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:agg.example.org, IP Address:10.1.2.3\n/);
  });

  it("a used token: step's client reports FedPKI's own message and writes nothing", () => {
    const token = srv.mint('collaborator2');
    expect(stepCertify(step, 'collaborator2', token, join(tmp.path, 'first')).status).toBe(0);
    const dir = join(tmp.path, 'again');
    const again = stepCertify(step, 'collaborator2', token, dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^sign: The token has already been used/);
    expect(existsSync(join(dir, 'collaborator2.crt'))).toBe(false);
  });

  it('a token whose sha names another root: step will not trust the CA, sends no CSR, and the real token still works afterwards', () => {
    const token = srv.mint('collaborator3');
    const wrongRoot = withClaims(token, (c) => (c.sha = 'ab'.repeat(32)));
    const refused = stepCertify(step, 'collaborator3', wrongRoot, join(tmp.path, 'wrong-root'));
    expect(refused.status).toBe(1);
    // FedPKI answers GET /root/{sha} with 404 and says so; step stops there
    expect(refused.stderr).toMatch(/^client: No root certificate with SHA-256 fingerprint (ab){32}\./);
    // nothing was consumed: the token as minted still enrolls
    expect(stepCertify(step, 'collaborator3', token, join(tmp.path, 'right-root')).status).toBe(0);
  });

  it("a token whose claims were altered: FedPKI refuses it and step's client passes on why, and the real token still works", () => {
    const token = srv.mint('collaborator4');
    const altered = withClaims(token, (c) => (c.sans = ['collaborator4', 'evil.example.org']));
    const r = stepCertify(step, 'collaborator4', altered, join(tmp.path, 'altered'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sign: The token is refused: its signature is not valid\./);
    expect(stepCertify(step, 'collaborator4', token, join(tmp.path, 'unaltered')).status).toBe(0);
  });

  it('answers the read API in the types step decodes it into: health, version, roots, federation, and the JWK provisioner that signs the tokens', () => {
    const dir = join(tmp.path, 'reader');
    const token = srv.mint('reader');
    expect(stepCertify(step, 'reader', token, dir).status).toBe(0);
    const jwt = Buffer.from(token.split('.')[0]!, 'base64').toString();
    const { kid } = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const { iss } = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { iss: string };
    const r = stepClient(step, ['read', srv.origin, join(dir, 'root_ca.crt')]);
    expect(r.status, r.stderr).toBe(0);
    // a JWK provisioner's id is "name:kid": the name is the tokens' iss, the kid their header's
    expect(r.stdout).toBe(`health=ok version=${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} roots=1 federation=1 provisioners=JWK:${iss}:${iss}:${kid}\n`);
  });

  const serialOf = (crt: string) => openssl(['x509', '-in', crt, '-noout', '-serial']).stdout.trim().replace(/^serial=/, '').toLowerCase();

  it('renews over mTLS as `step ca renew` does: a new serial for the same name and key, and the old certificate left valid', () => {
    const dir = join(tmp.path, 'renewing');
    expect(stepCertify(step, 'collaborator5', srv.mint('collaborator5'), dir).status).toBe(0);
    const crt = join(dir, 'collaborator5.crt');
    const before = serialOf(crt);
    const old = join(tmp.path, 'renewing-old');
    cpSync(dir, old, { recursive: true });
    const r = stepClient(step, ['renew', srv.origin, dir, 'collaborator5']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^serial=\d+ chain=2\n$/);
    expect(serialOf(crt)).not.toBe(before);
    expect(openssl(['verify', '-CAfile', join(dir, 'root_ca.crt'), '-untrusted', crt, crt]).stdout).toContain(': OK');
    expect(x509Text(readFileSync(crt, 'utf8'))).toMatch(/Subject: CN ?= ?collaborator5\n/);
    expect(openssl(['x509', '-in', crt, '-noout', '-pubkey']).stdout).toBe(openssl(['pkey', '-in', join(dir, 'collaborator5.key'), '-pubout']).stdout);
    // the old certificate is still good: it can renew too
    expect(stepClient(step, ['renew', srv.origin, old, 'collaborator5']).status).toBe(0);
  });

  it("renews with a token as `step ca renew --mtls=false` does (step's CLI puts no jti in it): a new certificate for the same key, and the same token replayed is refused", async () => {
    const dir = join(tmp.path, 'renewing-token');
    expect(stepCertify(step, 'collaborator7', srv.mint('collaborator7'), dir).status).toBe(0);
    const crt = join(dir, 'collaborator7.crt');
    const before = serialOf(crt);
    const r = stepClient(step, ['renew-token', srv.origin, dir, 'collaborator7']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^serial=\d+ chain=2\n$/);
    expect(serialOf(crt)).not.toBe(before);
    expect(openssl(['verify', '-CAfile', join(dir, 'root_ca.crt'), '-untrusted', crt, crt]).stdout).toContain(': OK');
    expect(openssl(['x509', '-in', crt, '-noout', '-pubkey']).stdout).toBe(openssl(['pkey', '-in', join(dir, 'collaborator7.key'), '-pubout']).stdout);
    const jwt = readFileSync(join(dir, 'renew-token.jwt'), 'utf8');
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'step-ca-client/1.0', sub: 'collaborator7', aud: `${srv.origin}/renew` });
    expect(claims.jti).toBeUndefined();
    // without a jti, the token's own hash makes it single use
    const replay = await httpsRequest(`${srv.origin}/renew`, { method: 'POST', headers: { Authorization: `Bearer ${jwt}` }, ca: srv.rootPem });
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ code: 'token_used' });
  });

  it('revokes with a token from `fedpki get-token --revoke`, as `step ca revoke` does; the revoked certificate can renew no more, and step says why', () => {
    const dir = join(tmp.path, 'revoking');
    expect(stepCertify(step, 'collaborator6', srv.mint('collaborator6'), dir).status).toBe(0);
    const serial = serialOf(join(dir, 'collaborator6.crt'));
    const minted = srv.cli(['get-token', '--revoke', serial, '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    expect(minted.status, minted.stderr).toBe(0);
    const revoked = stepClient(step, ['revoke', srv.origin, join(dir, 'root_ca.crt'), BigInt(`0x${serial}`).toString(), minted.stdout.trim()]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('status=ok\n');
    const renew = stepClient(step, ['renew', srv.origin, dir, 'collaborator6']);
    expect(renew.status).toBe(1);
    expect(renew.stderr).toMatch(new RegExp(`^renew: Certificate ${serial} was revoked on .*: it cannot be used to renew`));
    // the revoke token is single-use too
    const again = stepClient(step, ['revoke', srv.origin, join(dir, 'root_ca.crt'), BigInt(`0x${serial}`).toString(), minted.stdout.trim()]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^revoke: The token has already been used/);
  });
});
