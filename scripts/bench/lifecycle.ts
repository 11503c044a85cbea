/**
 * In-process costs of the lifecycle operations on a throwaway CA (SQLite, FULL sync):
 * an OCSP answer (parse, look up, sign), a renewal (verify the presented certificate,
 * sign, store) and a revocation with its CRL rebuilt. `npm run bench` can call
 * `benchLifecycle()`; alone: `npx tsx scripts/bench/lifecycle.ts`. Nothing asserts them.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertificateAuthority } from '../../lib/ca/authority';
import { createCsr } from '../../lib/pki/csr';
import { generateKeyPair } from '../../lib/pki/keys';
import { createCertId, createOcspRequest } from '../../lib/pki/ocsp';
import { closeDatabase, openDatabase } from '../../db/client';
import { SqliteCaStore } from '../../db/store';
import { median } from './server';

const MIGRATIONS = fileURLToPath(new URL('../../db/migrations', import.meta.url));

export interface LifecycleBenchResult {
  /** Median microseconds per operation. */
  ocspMicros: number;
  renewMicros: number;
  revokeWithCrlMicros: number;
  samples: { ocsp: number; renew: number; revoke: number };
}


export async function benchLifecycle(o: { ocsp?: number; renew?: number; revoke?: number } = {}): Promise<LifecycleBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fedpki-lifecycle-bench-'));
  const db = openDatabase({ file: join(dir, 'fedpki.db'), migrationsFolder: MIGRATIONS });
  try {
    const authority = new CertificateAuthority({ store: new SqliteCaStore(db), password: 'bench password', iterations: 1000 });
    const ctx = await authority.createFederation({ id: 'default', name: 'Bench', caUrl: 'localhost:9123' }, { id: 'bench' });
    const keys = await generateKeyPair('EC-P256');
    const csr = await createCsr({ keys, commonName: 'bench-node', sans: ['bench-node'] });
    const issue = () => authority.signCsr({ federationId: 'default', csr }, { id: 'bench' });
    const scope = [ctx];

    const first = await issue();
    const certId = await createCertId({ issuerName: ctx.intermediate.fields.subjectDer, issuerPublicKey: ctx.intermediate.fields.publicKey.subjectPublicKey, serialNumber: first.record.serial });
    const request = createOcspRequest([certId], new Uint8Array(16));
    const ocsp: number[] = [];
    for (let i = 0; i < (o.ocsp ?? 2000); i++) {
      const t = process.hrtime.bigint();
      await authority.ocsp(request, scope);
      ocsp.push(Number(process.hrtime.bigint() - t) / 1000);
    }

    const renew: number[] = [];
    let current = first.record.der;
    for (let i = 0; i < (o.renew ?? 300); i++) {
      const t = process.hrtime.bigint();
      current = (await authority.renew({ presented: current, scope })).record.der;
      renew.push(Number(process.hrtime.bigint() - t) / 1000);
    }

    const revoke: number[] = [];
    for (let i = 0; i < (o.revoke ?? 100); i++) {
      const cert = await issue();
      const t = process.hrtime.bigint();
      // superseded: the certificates here share one key, which keyCompromise would
      // revoke in every one of them and refuse from then on.
      await authority.revoke(cert.record.serial, { reasonCode: 4 }, { id: 'bench' }, 'cli');
      revoke.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    return {
      ocspMicros: median(ocsp),
      renewMicros: median(renew),
      revokeWithCrlMicros: median(revoke),
      samples: { ocsp: ocsp.length, renew: renew.length, revoke: revoke.length },
    };
  } finally {
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchLifecycle();
  process.stdout.write(`${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v), 2)}\n`);
}
