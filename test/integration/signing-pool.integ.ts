/**
 * The signing pool stopping with requests still queued (server/signing-pool.ts): those
 * requests are refused with `unavailable` and never signed, because the database
 * closes right after the pool. Seen from outside, a stopping server has stopped
 * reading requests first, so this is tested on the pool itself, in process, with
 * the real signing thread bundle.
 */

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningPool } from '@/server/signing-pool';
import { createLogger } from '@/server/log';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { ROOT } from '../helpers/paths';
import { startFedpki, type Fedpki } from '../helpers/server';

describe('the signing pool, stopping', () => {
  let srv: Fedpki;
  let ca: TestCa;

  beforeAll(async () => {
    // Only its data folder is needed: a CA with its default federation.
    srv = await startFedpki();
    await srv.stop();
    ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
  });

  afterAll(async () => {
    await ca?.close();
    srv?.cleanup();
  });

  it('refuses the requests waiting for a thread with unavailable, and signs none of them', async () => {
    const pool = new SigningPool({
      authority: ca.authority,
      store: ca.store,
      threads: 1,
      queue: 1,
      aliases: [],
      log: createLogger('error', () => undefined),
      workerUrl: pathToFileURL(join(ROOT, 'dist', 'signing-worker.mjs')),
    });
    await pool.start();
    const requests = [];
    for (const subject of ['stopping-0', 'stopping-1', 'stopping-2']) {
      const { jwt, record } = await ca.authority.mintToken('default', { subject }, { id: 'test' });
      requests.push({ jti: record.jti, params: { ott: jwt, csr: (await makeCsr(subject)).der } });
    }
    const before = await ca.counts();

    // The thread takes one request (its queue holds one); the other two wait. The pool
    // starts stopping before the main thread's next turn, where it would sign one itself.
    const outcomes = requests.map((r) => pool.sign(r.params).then(() => 'issued' as const, (e: unknown) => e));
    await pool.close();
    const [onThread, ...queued] = await Promise.all(outcomes);

    for (const e of queued) expect(e).toMatchObject({ code: 'unavailable', message: 'The server is stopping.' });
    for (const r of requests.slice(1)) expect((await ca.store.getToken(r.jti))?.state).toBe('pending');
    // The thread's request is answered either way, never left hanging.
    if (onThread !== 'issued') expect(onThread).toMatchObject({ code: 'unavailable' });
    expect((await ca.counts()).certificates).toBe(before.certificates + (onThread === 'issued' ? 1 : 0));
  });
});
