/**
 * A CRL with 100,000 entries: seeds a throwaway CA's database with revoked
 * certificates, then times what publishing costs (list from SQLite, encode + sign
 * with the DER codec, store) and, for comparison, building the same list with pkijs.
 * `npm run bench` can call `benchCrl()`; alone: `npx tsx scripts/bench/crl.ts [entries] [--pkijs]`.
 * Times are wall-clock milliseconds on whatever machine runs it; nothing asserts them.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';
import { CertificateAuthority } from '../../lib/ca/authority';
import { buildCrl } from '../../lib/ca/crl';
import { pkiEngine } from '../../lib/pki/engine';
import { fromHex, toArrayBuffer } from '../../lib/pki/encoding';
import { id_ce_cRLReasons } from '../../lib/pki/oids';
import { toPem } from '../../lib/pki/pem';
import { closeDatabase, openDatabase, type Db } from '../../db/client';
import { SqliteCaStore } from '../../db/store';

const MIGRATIONS = fileURLToPath(new URL('../../db/migrations', import.meta.url));

export interface CrlBenchOptions {
  entries?: number;
  /** Also build the list with pkijs (slow; for the comparison). */
  pkijs?: boolean;
  /** Keep the files (CRL, intermediate, root) in this folder; default a temporary one, removed by `close()`. */
  dir?: string;
}

export interface CrlBenchResult {
  entries: number;
  bytes: number;
  crlNumber: number;
  /** Inserting the certificates and revocations (setup, not publishing). */
  seedMs: number;
  /** Reading the revocations from SQLite. */
  listMs: number;
  /** Encoding and signing with the DER codec. */
  derBuildMs: number;
  /** Storing the CRL with its audit entry. */
  saveMs: number;
  /** The whole `CrlPublisher.publish` (number, list, build, store). */
  publishMs: number;
  /** Encoding and signing the same list with pkijs, when asked. */
  pkijsBuildMs?: number;
  pkijsBytes?: number;
}

export interface CrlBenchRun extends CrlBenchResult {
  dir: string;
  crlPemFile: string;
  intermediatePemFile: string;
  rootPemFile: string;
  db: Db;
  authority: CertificateAuthority;
  close(): void;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Revoked certificates straight into the tables (their DER is a placeholder: only serials matter to a CRL). */
function seed(db: Db, federationId: string, n: number, now: number): void {
  const cert = db.$client.prepare(
    `insert into certificates (serial, federation_id, common_name, common_name_lower, sans, role, key_description, not_before, not_after, der, fingerprint, source, issued_by, created_at, status, revoked_at, revocation_reason)
     values (?, ?, ?, ?, '[]', 'collaborator', 'EC P-256', ?, ?, x'3000', ?, 'csr', 'bench', ?, 'revoked', ?, ?)`,
  );
  const rev = db.$client.prepare(`insert into revocations (serial, federation_id, reason_code, reason, revoked_at, expires_at, actor, via) values (?, ?, ?, null, ?, ?, 'bench', 'cli')`);
  const notAfter = now + 365 * 86400_000;
  db.$client.transaction(() => {
    for (let i = 0; i < n; i++) {
      const bytes = randomBytes(16);
      bytes[0]! &= 0x7f;
      bytes[0]! |= 0x01;
      const serial = bytes.toString('hex');
      const reason = i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 4;
      const revokedAt = now - (n - i) * 1000;
      cert.run(serial, federationId, `node-${i}`, `node-${i}`, now - 86400_000, notAfter, serial, now - 86400_000, revokedAt, reason);
      rev.run(serial, federationId, reason, revokedAt, notAfter);
    }
  })();
}

async function pkijsCrl(ctx: ReturnType<CertificateAuthority['federation']>, entries: { serial: string; revokedAt: Date; reasonCode: number }[], now: Date): Promise<Uint8Array> {
  const engine = pkiEngine();
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(ctx.intermediate.fields.subjectDer));
  crl.thisUpdate = new pkijs.Time({ type: 0, value: now });
  crl.nextUpdate = new pkijs.Time({ type: 0, value: new Date(now.getTime() + 86400_000) });
  crl.revokedCertificates = entries.map(
    (e) =>
      new pkijs.RevokedCertificate({
        userCertificate: new asn1js.Integer({ valueHex: toArrayBuffer(fromHex(e.serial)) }),
        revocationDate: new pkijs.Time({ type: 0, value: e.revokedAt }),
        crlEntryExtensions: e.reasonCode
          ? new pkijs.Extensions({
              extensions: [new pkijs.Extension({ extnID: id_ce_cRLReasons, critical: false, extnValue: new asn1js.Enumerated({ value: e.reasonCode }).toBER(false) })],
            })
          : undefined,
      }),
  );
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [new pkijs.Extension({ extnID: '2.5.29.20', critical: false, extnValue: new asn1js.Integer({ value: 1 }).toBER(false) })],
  });
  await crl.sign(ctx.intermediate.key, 'SHA-256', engine);
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

export async function benchCrl(o: CrlBenchOptions = {}): Promise<CrlBenchRun> {
  const n = o.entries ?? 100_000;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'fedpki-crl-bench-'));
  const db = openDatabase({ file: join(dir, 'fedpki.db'), migrationsFolder: MIGRATIONS });
  const store = new SqliteCaStore(db);
  const authority = new CertificateAuthority({ store, password: 'bench password', iterations: 1000 });
  const ctx = await authority.createFederation({ id: 'default', name: 'Bench', caUrl: 'localhost:9123' }, { id: 'bench' });
  const now = Date.now();

  let t = process.hrtime.bigint();
  seed(db, 'default', n, now);
  const seedMs = ms(t);

  // The parts, measured apart …
  t = process.hrtime.bigint();
  const entries = await store.listRevoked('default', { expiresAfter: new Date(now - 86400_000) });
  const listMs = ms(t);
  t = process.hrtime.bigint();
  const built = await buildCrl({ ctx, number: 1, entries, now: new Date() });
  const derBuildMs = ms(t);
  t = process.hrtime.bigint();
  await store.saveCrl({ ...built, number: await store.nextCrlNumber('default') }, { at: new Date(), action: 'CRL_PUBLISHED', actor: 'bench', sourceIp: null, federationId: 'default', target: null, outcome: 'success', details: null });
  const saveMs = ms(t);
  // … and the whole publication as the server runs it.
  t = process.hrtime.bigint();
  const published = await authority.crls.publish('default', 'bench');
  const publishMs = ms(t);

  const result: CrlBenchResult = { entries: entries.length, bytes: published.der.length, crlNumber: published.number, seedMs, listMs, derBuildMs, saveMs, publishMs };
  if (o.pkijs) {
    t = process.hrtime.bigint();
    const der = await pkijsCrl(ctx, entries, new Date());
    result.pkijsBuildMs = ms(t);
    result.pkijsBytes = der.length;
  }

  const crlPemFile = join(dir, 'crl.pem');
  const intermediatePemFile = join(dir, 'intermediate.pem');
  const rootPemFile = join(dir, 'root.pem');
  writeFileSync(crlPemFile, toPem(published.der, 'X509 CRL'));
  writeFileSync(intermediatePemFile, ctx.intermediate.pem);
  writeFileSync(rootPemFile, ctx.root.pem);
  return {
    ...result,
    dir,
    crlPemFile,
    intermediatePemFile,
    rootPemFile,
    db,
    authority,
    close: () => {
      closeDatabase(db);
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const entries = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const run = await benchCrl({ entries, pkijs: process.argv.includes('--pkijs') });
  const { dir: _dir, crlPemFile: _c, intermediatePemFile: _i, rootPemFile: _r, db: _db, authority: _a, close, ...figures } = run;
  close();
  process.stdout.write(`${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v), 2)}\n`);
}
