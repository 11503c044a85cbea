/**
 * Server actions posted as no form of ours posts them, by anyone signed out.
 *
 * One posted to a page that does not host it. Next.js then forwards the
 * request to itself with the caller's headers; without a plain-HTTP listener that
 * self-fetch goes over TLS to a root Node does not trust and fails (server/next-self.ts),
 * and Next.js prints the failure with its stack. Anyone signed out can send such a
 * request, so each one must cost the log one line, and the server must keep serving.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/https';
import { startFedpki, type Fedpki } from '../helpers/server';
import { callAction, serverActions } from './actions';

let srv: Fedpki;

beforeAll(async () => {
  srv = await startFedpki({ apiOnly: false });
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

describe('a server action posted by hand', () => {
  it('to a page that does not host it, is answered with nothing and logged as one line each time, without a stack', async () => {
    const signOut = serverActions().get('signOutAction')!;
    // Warm the sign-in page first: its first render is not what is tested.
    expect((await httpsRequest(`${srv.origin}/login`, { ca: srv.rootPem })).status).toBe(200);
    const before = srv.logs().length;
    for (let i = 0; i < 3; i++) {
      const r = await callAction(srv.origin, { ...signOut, path: '/login' }, {});
      expect(r.status).toBeLessThan(500);
    }
    const logged = srv.logs().slice(before);
    const lines = logged.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes('a server action was posted to a page that does not host it'))).toHaveLength(3);
    expect(logged).not.toMatch(/failed to forward action response|TypeError|\n\s+at /);
    expect((await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem })).status).toBe(200);
  });

  it('with a body over the 2 MiB limit, is a 413 with a plain message, before Next.js reads it', async () => {
    const csrAction = serverActions().get('inspectCsrAction')!;
    const r = await httpsRequest(`${srv.origin}${csrAction.path}`, {
      method: 'POST',
      raw: Buffer.alloc(3 * 1024 * 1024, 0x41),
      headers: { 'Next-Action': csrAction.id, 'Content-Type': 'multipart/form-data; boundary=x', Origin: srv.origin },
      ca: srv.rootPem,
    });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ status: 413, code: 'body_too_large', message: "A form's content is limited to 2 MiB." });
    expect(srv.logs()).not.toMatch(/digest|Body exceeded/);
    expect((await httpsRequest(`${srv.origin}/health`, { ca: srv.rootPem })).status).toBe(200);
  });
});
