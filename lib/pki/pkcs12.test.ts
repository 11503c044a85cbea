import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAuthority } from '@/test/helpers/memory-store';
import { certificatesFromPem } from './certificate';
import { createCsr } from './csr';
import { toHex } from './encoding';
import { exportPkcs8, generateKeyPair, type KeySpec } from './keys';
import { fromPem } from './pem';
import { createPkcs12, readPkcs12 } from './pkcs12';

const dir = mkdtempSync(join(tmpdir(), 'fedpki-p12-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], input?: string) {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let authority: Awaited<ReturnType<typeof memoryAuthority>>['authority'];
beforeAll(async () => {
  ({ authority } = await memoryAuthority());
});

/** A real FedPKI leaf for a fresh key, with its chain (leaf, intermediate, root). */
async function issued(spec: KeySpec, name = 'collaborator1') {
  const keys = await generateKeyPair(spec);
  const csr = await createCsr({ keys, commonName: name, sans: [name] });
  const r = await authority.signCsr({ federationId: 'default', csr }, { id: 'test' });
  return { pkcs8: await exportPkcs8(keys.privateKey), chain: [r.certificate, r.intermediate, r.root].flatMap(certificatesFromPem) };
}

const PASSWORD = 'pässwörd with spaces 🔑';

describe('createPkcs12', () => {
  it.each<KeySpec>(['EC-P384', 'RSA-2048'])('ok/%s: pkijs reads back the key and the chain', async (spec) => {
    const { pkcs8, chain } = await issued(spec);
    const p12 = await createPkcs12({ privateKey: pkcs8, certificates: chain, password: PASSWORD, friendlyName: 'collaborator1', iterations: 1000, macIterations: 1000 });
    const back = await readPkcs12(p12, PASSWORD);
    expect(back.privateKeys.map(toHex)).toEqual([toHex(pkcs8)]);
    expect(back.certificates.map(toHex)).toEqual(chain.map(toHex));
    await expect(readPkcs12(p12, 'wrong password')).rejects.toThrow();
  });

  it('ok/defaults: OpenSSL 3 opens it and reports PBES2 AES-256-CBC, PBKDF2-SHA256 and an HMAC-SHA256 MAC', async () => {
    const { pkcs8, chain } = await issued('EC-P256');
    const p12 = await createPkcs12({ privateKey: pkcs8, certificates: chain, password: PASSWORD, friendlyName: 'collaborator1' });
    const file = join(dir, 'defaults.p12');
    const pw = join(dir, 'pw');
    writeFileSync(file, p12);
    writeFileSync(pw, `${PASSWORD}\n`);
    const info = openssl(['pkcs12', '-in', file, '-info', '-passin', `file:${pw}`, '-noout']);
    expect(info.status, info.stderr).toBe(0);
    const report = info.stdout + info.stderr;
    expect(report).toContain('MAC: sha256, Iteration 600000');
    expect(report).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    expect(report).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);

    const nodes = openssl(['pkcs12', '-in', file, '-nodes', '-passin', `file:${pw}`]);
    expect(nodes.status, nodes.stderr).toBe(0);
    expect(toHex(fromPem(nodes.stdout, 'PRIVATE KEY')!)).toBe(toHex(pkcs8));
    expect(nodes.stdout).toContain('friendlyName: collaborator1');
    expect(certificatesFromPem(nodes.stdout).map(toHex).sort()).toEqual(chain.map(toHex).sort());

    writeFileSync(pw, 'not the password\n');
    expect(openssl(['pkcs12', '-in', file, '-nodes', '-passin', `file:${pw}`]).status).not.toBe(0);
  });

  it('ok/the key and the leaf share a localKeyID, so key stores pair them', async () => {
    const { pkcs8, chain } = await issued('EC-P256');
    const p12 = await createPkcs12({ privateKey: pkcs8, certificates: chain, password: 'x'.repeat(8), iterations: 1000, macIterations: 1000 });
    const file = join(dir, 'ids.p12');
    writeFileSync(file, p12);
    const out = openssl(['pkcs12', '-in', file, '-nodes', '-passin', 'pass:xxxxxxxx']).stdout;
    const ids = [...out.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((m) => m[1]!.trim());
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('fail/no password or no certificate', async () => {
    const { pkcs8, chain } = await issued('EC-P256');
    await expect(createPkcs12({ privateKey: pkcs8, certificates: chain, password: '' })).rejects.toThrow(/password/);
    await expect(createPkcs12({ privateKey: pkcs8, certificates: [], password: 'x' })).rejects.toThrow(/certificate/);
  });
});
