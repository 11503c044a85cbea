/**
 * Expiry: `fedpki list --expiring` and the expiry webhook, against a real server and a
 * local HTTP receiver. Each certificate is announced once, at the threshold it is in;
 * a receiver that hangs does not hold up issuance.
 */

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_WEBHOOK_KEY, webhookSettingChange } from '@/lib/ca/webhook';
import { openTestCa, type TestCa } from '../helpers/ca';
import { makeCsr } from '../helpers/csr';
import { tempDir } from '../helpers/paths';
import { baseEnv, freePort, runCli, startFedpki, type Fedpki } from '../helpers/server';

let srv: Fedpki;
let ca: TestCa;
let tmp: ReturnType<typeof tempDir>;
let receiver: http.Server;
let release: () => void = () => undefined;
const held = new Promise<void>((r) => (release = r));
let answered = 0;
const received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  tmp = tempDir();
  const port = await freePort();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      // The first delivery hangs until the test lets it go.
      void (received.length === 1 ? held : Promise.resolve()).then(() => {
        answered++;
        res.writeHead(204).end();
      });
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
  srv = await startFedpki({ env: { FEDPKI_LIFECYCLE_INTERVAL_SECONDS: '1' } });
  ca = await openTestCa({ dataDir: srv.dataDir, databaseUrl: srv.databaseUrl });
  const change = webhookSettingChange(`http://127.0.0.1:${port}/hooks/fedpki?key=s3cret`, { id: 'test' });
  await ca.database.settings.setAudited(EXPIRY_WEBHOOK_KEY, change.value, change.audit);
});

afterAll(async () => {
  release();
  await ca?.close();
  await srv?.stop();
  srv?.cleanup();
  tmp?.remove();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

const HOUR = 3600;
const DAY = 24 * HOUR;

describe('expiry', () => {
  const serials: Record<string, string> = {};

  it('announces each certificate once at its threshold, without holding up issuance', async () => {
    for (const [name, seconds] of [
      ['in-20h', 20 * HOUR],
      ['in-5d', 5 * DAY],
      ['in-20d', 20 * DAY],
      ['in-100d', 100 * DAY],
    ] as const) {
      const csr = await makeCsr(name);
      serials[name] = (await ca.authority.signCsr({ federationId: 'default', csr: csr.der, certSeconds: seconds }, { id: 'test' })).record.serial;
    }
    await expect.poll(() => received.length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    // The receiver is hanging on the first notice: a node still enrolls.
    const minted = srv.cli(['get-token', '-n', 'while-waiting', '-p', srv.dataDir, '--password-file', srv.passwordFile]);
    const certified = runCli(['certify', '-n', 'while-waiting', '-t', minted.stdout.trim(), '-c', tmp.path], baseEnv(srv.dataDir));
    expect(certified.status, certified.stderr).toBe(0);
    expect(answered).toBe(0);
    release();
    await expect.poll(() => received.length, { timeout: 20_000, interval: 200 }).toBe(3);
    await new Promise((r) => setTimeout(r, 3000));
    expect(received).toHaveLength(3);

    const byName = new Map(received.map((r) => [(r.body.certificate as { commonName: string }).commonName, r]));
    expect([...byName.keys()].sort()).toEqual(['in-20d', 'in-20h', 'in-5d']);
    expect(byName.get('in-20h')!.body).toMatchObject({ event: 'certificate.expiring', thresholdDays: 1, certificate: { serial: serials['in-20h'], federation: 'default' } });
    expect(byName.get('in-5d')!.body.thresholdDays).toBe(7);
    expect(byName.get('in-20d')!.body.thresholdDays).toBe(30);
    expect(byName.get('in-5d')!.headers).toMatchObject({ 'content-type': 'application/json', 'x-fedpki-event': 'certificate.expiring', 'x-fedpki-delivery': `${serials['in-5d']}:7` });
    await expect
      .poll(async () => Number((await ca.rows<{ n: number }>("select count(*) n from audit_log where action = 'WEBHOOK_SENT'"))[0]!.n), { timeout: 10_000 })
      .toBe(3);
    const [settingsAudit] = await ca.rows<{ details: string }>("select details from audit_log where action = 'SETTINGS_UPDATED'");
    expect(JSON.stringify(settingsAudit!.details)).not.toContain('s3cret');
  });

  it('`fedpki list --expiring` shows what expires soon, soonest first', () => {
    const r = srv.cli(['list', '--expiring', '30d', '-p', srv.dataDir]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t')[2])).toEqual(['in-20h', 'in-5d', 'in-20d']);
    const day = srv.cli(['list', '--expiring', '1d', '--federation', 'default', '-p', srv.dataDir]);
    expect(day.stdout.trim().split('\n')).toHaveLength(1);
    const json = srv.cli(['list', '--expiring', '7d', '--json', '-p', srv.dataDir]);
    const listed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { serial: string; daysLeft: number | null });
    expect(listed.map((c) => c.serial)).toEqual([serials['in-20h'], serials['in-5d']]);
    // Days left rounded as the portal rounds them ("5 days left"; 20 hours is 1).
    expect(listed.map((c) => c.daysLeft)).toEqual([1, 5]);
    expect(srv.cli(['list', '--status', 'bogus', '-p', srv.dataDir]).status).toBe(2);
  });
});
