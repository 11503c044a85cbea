/**
 * Token binding under attack, against a real server and its SQLite file: the server
 * recognises the tokens it minted by an HMAC stored with their records, and these tests
 * try to get something past that shortcut — claims altered under a bound `jti`, a
 * binding planted in the database by someone who can write it but holds no CA key,
 * bindings swapped between tokens or removed. Whatever does not match goes to the
 * ES256 signature check, so forgeries are refused and real tokens still work.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCa, type TestCa } from '../../helpers/ca';
import { makeCsr } from '../../helpers/csr';
import { recordFigures } from '../../helpers/figures';
import { httpsRequest } from '../../helpers/https';
import { startFedpki, type Fedpki } from '../../helpers/server';

let srv: Fedpki;
let ca: TestCa;
const tally = { attempts: 0, refused: 0, realTokensIssued: 0 };

beforeAll(async () => {
  srv = await startFedpki();
  ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
});

afterAll(async () => {
  recordFigures('token-binding', {
    row: {
      area: 'Token binding',
      tried: `${tally.attempts} forged submissions aimed at the MAC shortcut (claims altered under a bound jti; bindings planted in the database without the CA key, or swapped between tokens); ${tally.realTokensIssued} real tokens with swapped or removed bindings`,
      held: `all ${tally.refused} forgeries refused (401 token_signature_invalid), nothing issued, the tokens they rode on left pending; the ${tally.realTokensIssued} real tokens issued by their signature`,
    },
  });
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
});

const mint = async (subject: string) => ca.authority.mintToken('default', { subject }, { id: 'test' });
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const withClaims = (jwt: string, change: Record<string, unknown>, signature = jwt.split('.')[2]!) =>
  [jwt.split('.')[0], Buffer.from(JSON.stringify({ ...claimsOf(jwt), ...change })).toString('base64url'), signature].join('.');
const setBinding = (jti: string, hex: string | null) => ca.rows(`update tokens set binding = ${hex === null ? 'null' : `X'${hex}'`} where jti = '${jti.replace(/[^0-9a-f]/g, '')}'`);
const bindingHex = async (jti: string) => (await ca.rows<{ b: string | null }>(`select hex(binding) b from tokens where jti = '${jti.replace(/[^0-9a-f]/g, '')}'`))[0]!.b;

async function sign(subject: string, ott: string, sans?: string[]) {
  const csr = await makeCsr(subject, sans);
  return httpsRequest(`${srv.origin}/1.0/sign`, { body: { csr: csr.pem, ott }, ca: srv.rootPem });
}

async function forgery(subject: string, ott: string, sans?: string[]) {
  tally.attempts++;
  const before = (await ca.counts()).certificates;
  const r = await sign(subject, ott, sans);
  expect(r.status).toBe(401);
  expect(r.json).toMatchObject({ code: 'token_signature_invalid' });
  expect((await ca.counts()).certificates).toBe(before);
  tally.refused++;
}

describe('token binding, attacked', () => {
  it('every minted token has a 32-byte binding in its record', async () => {
    const m = await mint('bound-node');
    expect(await bindingHex(m.claims.jti)).toMatch(/^[0-9A-F]{64}$/);
    expect((await sign('bound-node', m.jwt)).status).toBe(201);
  });

  it('fail/claims altered under a bound jti (a SAN added, the subject changed) are refused; the real token still works', async () => {
    const m = await mint('victim-node');
    await forgery('victim-node', withClaims(m.jwt, { sans: ['victim-node', 'aggregator.example'] }), ['victim-node', 'aggregator.example']);
    await forgery('aggregator', withClaims(m.jwt, { sub: 'aggregator', sans: ['aggregator'] }));
    expect((await ca.store.getToken(m.claims.jti))?.state).toBe('pending');
    expect((await sign('victim-node', m.jwt)).status).toBe(201);
  });

  it('fail/a binding planted in the database for a forged token, without the CA key, is refused', async () => {
    const m = await mint('planted-node');
    const forged = withClaims(m.jwt, { sub: 'aggregator', sans: ['aggregator'] }, randomBytes(64).toString('base64url'));
    // The attacker can write the table but has only a key of its own to make a MAC with.
    await setBinding(m.claims.jti, createHmac('sha256', randomBytes(32)).update(forged).digest('hex'));
    await forgery('aggregator', forged);
    // The same forgery with the real token's own binding left in place.
    const n = await mint('planted-node-2');
    await forgery('aggregator', withClaims(n.jwt, { sub: 'aggregator', sans: ['aggregator'] }, randomBytes(64).toString('base64url')));
    expect((await ca.store.getToken(n.claims.jti))?.state).toBe('pending');
  });

  it('ok/bindings swapped between two tokens or removed: each real token still issues, by its signature', async () => {
    const a = await mint('swap-a');
    const b = await mint('swap-b');
    const [ha, hb] = [await bindingHex(a.claims.jti), await bindingHex(b.claims.jti)];
    await setBinding(a.claims.jti, hb);
    await setBinding(b.claims.jti, ha);
    const c = await mint('stripped');
    await setBinding(c.claims.jti, null);
    for (const [name, t] of [['swap-a', a], ['swap-b', b], ['stripped', c]] as const) {
      const r = await sign(name, t.jwt);
      expect(r.status).toBe(201);
      tally.realTokensIssued++;
    }
    // And a forgery riding on a swapped binding is refused all the same.
    const d = await mint('swap-d');
    await setBinding(d.claims.jti, await bindingHex(a.claims.jti));
    await forgery('swap-d', withClaims(d.jwt, { sans: ['swap-d', '10.0.0.1'] }), ['swap-d', '10.0.0.1']);
  });
});
