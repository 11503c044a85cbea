import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { fromPem, toPem } from './pem';
import { exportPkcs8, generateKeyPair, type KeySpec } from './keys';
import { toTraditionalPrivateKey, traditionalPrivateKeyPem } from './key-formats';
import { DerError } from './der';

const dir = mkdtempSync(join(tmpdir(), 'fedpki-keyformats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], input?: string) {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('toTraditionalPrivateKey', () => {
  const cases: [KeySpec, string, string[]][] = [
    ['EC-P256', 'EC PRIVATE KEY', ['ec']],
    ['EC-P384', 'EC PRIVATE KEY', ['ec']],
    ['EC-P521', 'EC PRIVATE KEY', ['ec']],
    ['RSA-2048', 'RSA PRIVATE KEY', ['rsa', '-traditional']],
  ];
  it.each(cases)('ok/%s: byte-identical to what openssl writes, same public key', async (spec, label, command) => {
    const keys = await generateKeyPair(spec);
    const pkcs8 = await exportPkcs8(keys.privateKey);
    const pkcs8Pem = toPem(pkcs8, 'PRIVATE KEY');
    const ours = traditionalPrivateKeyPem(pkcs8);
    expect(ours.startsWith(`-----BEGIN ${label}-----\n`)).toBe(true);

    const theirs = openssl(command, pkcs8Pem);
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(Buffer.from(fromPem(ours, label)!).toString('hex')).toBe(Buffer.from(fromPem(theirs.stdout, label)!).toString('hex'));

    const file = join(dir, `${spec}.key`);
    writeFileSync(file, ours);
    const fromOurs = openssl(['pkey', '-in', file, '-pubout']);
    const fromPkcs8 = openssl(['pkey', '-pubout'], pkcs8Pem);
    expect(fromOurs.status, fromOurs.stderr).toBe(0);
    expect(fromOurs.stdout).toBe(fromPkcs8.stdout);
  });

  it('fail/not a key', () => {
    expect(() => toTraditionalPrivateKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow(DerError);
    expect(() => toTraditionalPrivateKey(new Uint8Array([1, 2, 3]))).toThrow(DerError);
  });

  it('fail/an Ed25519 key has no traditional form here', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    expect(() => toTraditionalPrivateKey(pkcs8)).toThrow(/unsupported private key algorithm/);
  });
});
