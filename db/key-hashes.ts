/**
 * Each certificate's key, as the SHA-256 of its SubjectPublicKeyInfo (hex): what a
 * keyCompromise revocation follows to the other certificates with that key. New rows
 * get it at issuance (lib/ca/issue.ts); rows written before the column existed get it
 * here, once, when the database is opened.
 */

import { createHash } from 'node:crypto';
import { readCertificate } from '../lib/pki/certificate';

/** The same value as lib/ca/issue.ts computes from the CSR's key, read from a certificate. */
export function certificateKeySha256(der: Uint8Array): string {
  return createHash('sha256').update(readCertificate(der).publicKey.der).digest('hex');
}

const BATCH = 500;

/**
 * A row whose DER does not parse (it should not exist) gets '' — no key any other
 * certificate can match — rather than stopping the start or being fetched again forever.
 */
function hashOrNone(der: Uint8Array): string {
  try {
    return certificateKeySha256(der);
  } catch {
    return '';
  }
}

/**
 * Fills `key_sha256` where it is missing, a batch per transaction.
 * @param next - up to `limit` rows still without one
 * @param write - stores the hashes of one batch
 * @returns how many rows were filled
 */
export async function backfillKeyHashes(
  next: (limit: number) => Promise<{ serial: string; der: Uint8Array }[]>,
  write: (rows: { serial: string; keySha256: string }[]) => Promise<void>,
): Promise<number> {
  let filled = 0;
  for (;;) {
    const rows = await next(BATCH);
    if (rows.length === 0) return filled;
    await write(rows.map((r) => ({ serial: r.serial, keySha256: hashOrNone(r.der) })));
    filled += rows.length;
    if (rows.length < BATCH) return filled;
  }
}
