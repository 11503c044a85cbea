/**
 * A CRL with 100,000 entries, built from a database seeded directly (scripts/bench/crl.ts,
 * whose timings `npm run bench` reports) and checked by openssl: the signature
 * verifies against the intermediate, and `openssl verify -crl_check` refuses a real
 * certificate revoked among the hundred thousand. No time is asserted.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCrl } from '@/lib/pki/crl';
import { toPem } from '@/lib/pki/pem';
import { benchCrl, type CrlBenchRun } from '../../scripts/bench/crl';
import { makeCsr } from '../helpers/csr';
import { openssl } from '../helpers/openssl';

let run: CrlBenchRun;

beforeAll(async () => {
  run = await benchCrl({ entries: 100_000 });
}, 300_000);

afterAll(() => run?.close());

describe('a CRL with 100,000 entries', () => {
  it('lists every entry and openssl crl -verify accepts it', () => {
    expect(run.entries).toBe(100_000);
    const r = openssl(['crl', '-in', run.crlPemFile, '-CAfile', run.intermediatePemFile, '-verify', '-noout', '-crlnumber']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('verify OK');
    expect(r.stdout.trim()).toBe(`crlNumber=0x${run.crlNumber.toString(16).padStart(2, '0')}`);
  });

  it('openssl verify -crl_check refuses a certificate revoked among them, and accepts a good one', async () => {
    const revoked = await run.authority.signCsr({ federationId: 'default', csr: (await makeCsr('revoked-among-many')).der }, { id: 'test' });
    const good = await run.authority.signCsr({ federationId: 'default', csr: (await makeCsr('still-good')).der }, { id: 'test' });
    const { crl } = await run.authority.revoke(revoked.record.serial, { reasonCode: 1 }, { id: 'test' });
    const parsed = parseCrl(crl!.der);
    expect(parsed.entries).toHaveLength(100_001);
    expect(parsed.entries.some((e) => e.serialNumber === revoked.record.serial)).toBe(true);
    const crlFile = join(run.dir, 'crl-after.pem');
    writeFileSync(crlFile, toPem(crl!.der, 'X509 CRL'));
    const check = (pem: string) => {
      const leaf = join(run.dir, `leaf-${Math.random().toString(36).slice(2)}.pem`);
      writeFileSync(leaf, pem);
      return openssl(['verify', '-crl_check', '-CAfile', run.rootPemFile, '-untrusted', run.intermediatePemFile, '-CRLfile', crlFile, leaf]);
    };
    const refused = check(revoked.certificate);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('certificate revoked');
    expect(check(good.certificate).status).toBe(0);
  });
});
