/**
 * Ten thousand mutated CSRs and tokens at /sign (bit flips, truncations, length fields
 * that lie, deep nesting, spliced and random bytes, reshaped JSON): every answer is a
 * 4xx with the JSON error shape — never a 5xx, never a hang — the server stays up, its
 * memory stays bounded, and it still issues afterwards.
 */

import https from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../../helpers/csr';
import { httpsRequest } from '../../helpers/https';
import { MUTATIONS, mutate, mutateJwt, rng } from '../../helpers/mutate';
import { startFedpki, type Fedpki } from '../../helpers/server';
import { recordFigures } from '../../helpers/figures';

let srv: Fedpki;

beforeAll(async () => {
  srv = await startFedpki({ env: { FEDPKI_LOG_LEVEL: 'warn' } });
});

afterAll(async () => {
  await srv?.stop();
  srv?.cleanup();
});

const rssMiB = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;
const pem = (der: Uint8Array) => `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;

function mint(name: string): string {
  return Buffer.from(srv.mint(name).split('.')[0]!, 'base64').toString();
}

describe('fuzzing /sign', () => {
  it('answers 10,000 mutated CSRs and tokens with JSON 4xx errors only', async () => {
    const valid = await makeCsr('fuzz-node');
    // A token already spent: even a mutation that happened to stay valid cannot issue.
    const spent = mint('fuzz-node');
    expect((await httpsRequest(`${srv.origin}/sign`, { body: { csr: valid.pem, ott: spent }, ca: srv.rootPem })).status).toBe(201);

    const r = rng(20261126);
    const bodies: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const kind = MUTATIONS[i % MUTATIONS.length]!;
      const der = mutate(valid.der, kind, r);
      bodies.push(JSON.stringify({ csr: i % 50 === 0 ? Buffer.from(der).toString('latin1') : pem(der), ott: spent }));
    }
    for (let i = 0; i < 4900; i++) bodies.push(JSON.stringify({ csr: valid.pem, ott: mutateJwt(spent, r) }));
    // Bodies of the wrong shape.
    const shapes: unknown[] = [null, [], 1, 'csr', { csr: 1 }, { csr: [] }, { csr: {}, ott: {} }, { ott: spent }, { csr: valid.pem }, { csr: valid.pem, ott: spent, notAfter: 'soon' }];
    for (let i = 0; i < 100; i++) bodies.push(JSON.stringify(shapes[i % shapes.length]));
    expect(bodies.length).toBe(10_000);

    const before = rssMiB(srv.child.pid!);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: srv.rootPem });
    const statuses = new Map<number, number>();
    const badShape: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const res = await httpsRequest(`${srv.origin}/1.0/sign`, { raw: body, headers: { 'Content-Type': 'application/json' }, agent, timeoutMs: 10_000 });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const json = res.json as { status?: unknown; message?: unknown; code?: unknown } | undefined;
          if (!json || json.status !== res.status || typeof json.message !== 'string' || typeof json.code !== 'string') badShape.push(`${res.status} ${res.text.slice(0, 80)}`);
        }
      }),
    );
    agent.destroy();
    const after = rssMiB(srv.child.pid!);

    const summary = Object.fromEntries(statuses);
    recordFigures('fuzz', { requests: 10_000, csrMutations: 5000, tokenMutations: 4900, wrongShapes: 100, statuses: summary, rssBeforeMiB: Math.round(before), rssAfterMiB: Math.round(after) });
    expect(Object.keys(summary).every((s) => Number(s) >= 400 && Number(s) < 500), JSON.stringify(summary)).toBe(true);
    expect(badShape).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b)).toBe(10_000);
    expect(after - before, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB`).toBeLessThan(150);

    // Still serving, and still issuing.
    const fresh = await makeCsr('after-fuzz');
    const ok = await httpsRequest(`${srv.origin}/sign`, { body: { csr: fresh.pem, ott: mint('after-fuzz') }, ca: srv.rootPem });
    expect(ok.status).toBe(201);
  });
});
