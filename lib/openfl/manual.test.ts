import { createHash } from 'node:crypto';
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { makeCsr } from '@/test/helpers/csr';
import { toPem } from '../pki/pem';
import { buildSignedCertZip, openflCsrHash, readCertRequestZip, signedPackageName, OpenflPackageError } from './manual';
import { colsYaml } from './cols';

describe('OpenFL manual workflow packages', () => {
  it('ok/reads the CSR out of col_<name>_to_agg_cert_request.zip', async () => {
    const csr = await makeCsr('one');
    const zip = zipSync({ 'col_one.csr': strToU8(csr.pem) });
    const pkg = readCertRequestZip(zip);
    expect(pkg.fileName).toBe('col_one.csr');
    expect(pkg.name).toBe('one');
    expect(strFromU8(pkg.csr)).toBe(csr.pem);
  });

  it('ok/the hash is SHA-384 of the CSR PEM, as fx prints it', async () => {
    const csr = await makeCsr('one');
    expect(await openflCsrHash(csr.der)).toBe(createHash('sha384').update(toPem(csr.der, 'CERTIFICATE REQUEST')).digest('hex'));
  });

  it('fail/a zip without exactly one .csr is refused in words', async () => {
    const csr = await makeCsr('one');
    expect(() => readCertRequestZip(zipSync({ 'readme.txt': strToU8('hi') }))).toThrow(/no \.csr file/);
    expect(() => readCertRequestZip(zipSync({ 'col_a.csr': strToU8(csr.pem), 'col_b.csr': strToU8(csr.pem) }))).toThrow(/2 \.csr files/);
    expect(() => readCertRequestZip(strToU8('not a zip at all'))).toThrow(OpenflPackageError);
  });

  it('fail/a .csr in the zip over 64 KiB is named as too large, not as missing', () => {
    // Compresses to a few hundred bytes, so the zip itself is well under its own limit.
    const big = zipSync({ 'requests/col_big.csr': new Uint8Array(65 * 1024).fill(0x41) });
    expect(() => readCertRequestZip(big)).toThrow('col_big.csr in the zip is too large to be a certificate request (over 64 KiB).');
  });

  it('ok/builds agg_to_col_<name>_signed_cert.zip with client/col_<name>.crt and cert_chain.crt', () => {
    const cert = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    const zip = buildSignedCertZip({ name: 'one', role: 'collaborator', certificate: cert, chainPem: 'ROOT\nINTERMEDIATE\n' });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['cert_chain.crt', 'client/col_one.crt']);
    expect(strFromU8(files['client/col_one.crt']!)).toBe(toPem(cert, 'CERTIFICATE'));
    expect(strFromU8(files['cert_chain.crt']!)).toBe('ROOT\nINTERMEDIATE\n');
    expect(signedPackageName('one', 'collaborator')).toBe('agg_to_col_one_signed_cert.zip');
  });

  it("ok/an aggregator's certificate goes where plan.py looks for it: server/agg_<fqdn, lowercased>.crt", () => {
    const cert = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    const files = unzipSync(buildSignedCertZip({ name: 'Agg.Example.org', role: 'aggregator', certificate: cert, chainPem: 'ROOT\nINTERMEDIATE\n' }));
    expect(Object.keys(files).sort()).toEqual(['cert_chain.crt', 'server/agg_agg.example.org.crt']);
    expect(strFromU8(files['server/agg_agg.example.org.crt']!)).toBe(toPem(cert, 'CERTIFICATE'));
    expect(signedPackageName('Agg.Example.org', 'aggregator')).toBe('agg_agg.example.org_signed_cert.zip');
  });
});

describe('plan/cols.yaml', () => {
  it('ok/lists names as PyYAML dumps them, quoting what would not read back as a string', () => {
    expect(colsYaml(['one', 'two'])).toBe('collaborators:\n- one\n- two\n');
    expect(colsYaml(['123', 'yes', '10.0.0.1', 'site-a'])).toBe("collaborators:\n- '123'\n- 'yes'\n- '10.0.0.1'\n- site-a\n");
    expect(colsYaml([])).toBe('collaborators: []\n');
  });
});
