/**
 * Shared pieces of the unit tier: a fixed clock, the committed fixtures, federations
 * made with real keys (and a low PBKDF2 count), and the second, independent parsers
 * every issued certificate is checked with (pkijs parses, @peculiar/x509 verifies).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { expect } from 'vitest';
import { createFederationPki, type FederationPki, type FederationPkiParams } from '@/lib/ca/federation';
import { unlockFederation, type FederationContext } from '@/lib/ca/keyring';
import { toArrayBuffer } from '@/lib/pki/encoding';
import { pkiEngine } from '@/lib/pki/engine';
import { fromPem, pemBlocks, toPem } from '@/lib/pki/pem';
import { FIXTURES } from './paths';
import * as x509 from './x509';

pkiEngine(globalThis.crypto);

/** The unit tier's clock: every `now` in these tests is this instant or derived from it. */
export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

/** The password the test federations are encrypted with. */
export const TEST_PASSWORD = 'unit-test password';
/** PBKDF2 iterations for test keys: the production 600,000 costs ~0.16 s per key. */
export const TEST_ITERATIONS = 1000;

/**
 * The label of `text` when it is exactly one PEM block as `toPem` writes it (nothing
 * before or after, 64-column base64), else undefined. Tests assert key files by label,
 * so no key-shaped armour is written into tracked files outside test/.
 */
export function pemLabelOf(text: string): string | undefined {
  const blocks = pemBlocks(text);
  return blocks.length === 1 && toPem(blocks[0]!.der, blocks[0]!.label) === text ? blocks[0]!.label : undefined;
}

export const fixtureText = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

/** A committed CSR fixture (test/fixtures/csr/<name>.csr) as DER. */
export function csrFixture(name: string): Uint8Array {
  const der = fromPem(fixtureText(name.includes('/') ? name : `csr/${name}.csr`), 'CERTIFICATE REQUEST');
  if (!der) throw new Error(`no CSR in fixture ${name}`);
  return der;
}

export function certFixture(name: string): Uint8Array {
  const der = fromPem(fixtureText(name), 'CERTIFICATE');
  if (!der) throw new Error(`no certificate in fixture ${name}`);
  return der;
}

export interface TestFederation extends FederationPki {
  ctx: FederationContext;
}

/** A federation made and unlocked the way the authority does it, at `NOW` by default. */
export async function makeFederation(p: Partial<FederationPkiParams> = {}): Promise<TestFederation> {
  const pki = await createFederationPki({
    id: 'unit',
    name: 'Unit',
    caUrl: 'ca.unit.test:9123',
    password: TEST_PASSWORD,
    createdBy: 'test',
    iterations: TEST_ITERATIONS,
    now: NOW,
    ...p,
  });
  const ctx = await unlockFederation({ federation: pki.federation, keys: pki.keys, password: TEST_PASSWORD });
  return { ...pki, ctx };
}

export const pkijsCertificate = (der: Uint8Array): pkijs.Certificate => pkijs.Certificate.fromBER(toArrayBuffer(der));

/**
 * The independent check of an issued certificate: pkijs parses it and verifies its
 * signature with the issuer's certificate, and @peculiar/x509 verifies it too.
 */
export async function crossCheckCertificate(der: Uint8Array, issuerDer: Uint8Array): Promise<{ pkijs: pkijs.Certificate; peculiar: x509.X509Certificate }> {
  const cert = pkijsCertificate(der);
  const issuer = pkijsCertificate(issuerDer);
  expect(await cert.verify(issuer, pkiEngine(globalThis.crypto)), 'pkijs verifies the signature').toBe(true);
  const peculiar = new x509.X509Certificate(toArrayBuffer(der));
  const peculiarIssuer = new x509.X509Certificate(toArrayBuffer(issuerDer));
  expect(await peculiar.verify({ publicKey: peculiarIssuer.publicKey, signatureOnly: true }), '@peculiar/x509 verifies the signature').toBe(true);
  return { pkijs: cert, peculiar };
}

export { flipBit, hex, unhex } from './bytes';
