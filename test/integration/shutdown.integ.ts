/**
 * Stopping a server under load, as systemd and every rolling deploy do (SIGTERM): the
 * enrollments it is answering finish and reach their clients, later ones are refused
 * at the door with their tokens unspent. No token may end up used for a certificate
 * nobody received — the node could not enroll again with it.
 */

import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { httpsRequest } from '../helpers/https';
import { queryFile } from '../helpers/sqlite-file';
import { startFedpki, type Fedpki } from '../helpers/server';

let srv: Fedpki;

beforeAll(async () => {
  srv = await startFedpki({ database: 'sqlite' });
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

describe('SIGTERM under load', () => {
  it('answers every enrollment it took on, and spends no token whose certificate was not delivered', async () => {
    const COUNT = 160;
    const ca = await openTestCa(srv.dataDir);
    const requests: { csr: string; ott: string }[] = [];
    try {
      for (let i = 0; i < COUNT; i++) {
        const subject = `stop-${i}`;
        const minted = await ca.authority.mintToken('default', { subject }, { id: 'test' });
        requests.push({ csr: (await makeCsr(subject)).pem, ott: minted.jwt });
      }
    } finally {
      await ca.close();
    }

    const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
    let answered = 0;
    let delivered = 0;
    let failed = 0;
    let stopping: Promise<void> | undefined;
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const body = requests[next++]!;
        try {
          const r = await httpsRequest(`${srv.origin}/1.0/sign`, { body, ca: srv.rootPem, agent });
          expect(r.status, r.text).toBe(201);
          delivered++;
        } catch (e) {
          if ((e as { name?: string }).name === 'AssertionError') throw e;
          failed++; // reset, refused: the server is going
        }
        if (++answered === 24) stopping = srv.kill('SIGTERM');
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    agent.destroy();
    await stopping;

    expect(delivered).toBeGreaterThanOrEqual(24);
    expect(delivered + failed).toBe(COUNT);
    const [used] = queryFile<{ n: number }>(srv.dataDir, "select count(*) n from tokens where state = 'used'");
    const [issued] = queryFile<{ n: number }>(srv.dataDir, 'select count(*) n from certificates');
    expect(used!.n, 'tokens spent').toBe(delivered);
    expect(issued!.n, 'certificates recorded').toBe(delivered);
    expect(srv.logs()).toMatch(/stopping/);
  });
});
