import { describe, expect, it } from 'vitest';
import { certFixture, fixtureText } from '@/test/helpers/unit';
import { fromPem, isPem, pemBlocks, toPem } from './pem';

const DER = Uint8Array.from({ length: 100 }, (_, i) => i);

describe('toPem', () => {
  it('ok/64-column lines, BEGIN/END labels and a trailing newline, as OpenSSL writes', () => {
    const pem = toPem(DER, 'CERTIFICATE');
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    // 100 bytes are 136 base64 characters: 64 + 64 + 8.
    expect(lines.slice(1, 4).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(lines.slice(1, 4).join('')).toBe(Buffer.from(DER).toString('base64'));
    expect(lines[4]).toBe('-----END CERTIFICATE-----');
    expect(lines[5]).toBe('');
    expect(pem.endsWith('-----\n')).toBe(true);
  });

  it('ok/an exact multiple of 64 columns gets no empty line', () => {
    const pem = toPem(new Uint8Array(48), 'PUBLIC KEY');
    expect(pem).toBe(`-----BEGIN PUBLIC KEY-----\n${'A'.repeat(64)}\n-----END PUBLIC KEY-----\n`);
  });

  it('ok/reproduces the step-ca root file byte for byte', () => {
    const text = fixtureText('step/step-ca-root.crt');
    expect(toPem(certFixture('step/step-ca-root.crt'), 'CERTIFICATE')).toBe(text);
  });
});

describe('fromPem and pemBlocks', () => {
  it('ok/round trip', () => {
    expect(fromPem(toPem(DER, 'CERTIFICATE'), 'CERTIFICATE')).toEqual(DER);
  });

  it('ok/picks the first block with one of the labels, ignoring text around blocks', () => {
    const text = `subject=CN = x\n${toPem(Uint8Array.of(1), 'PRIVATE KEY')}junk\n${toPem(Uint8Array.of(2), 'CERTIFICATE REQUEST')}${toPem(Uint8Array.of(3), 'NEW CERTIFICATE REQUEST')}`;
    expect(fromPem(text, 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST')).toEqual(Uint8Array.of(2));
    expect(fromPem(text, 'NEW CERTIFICATE REQUEST')).toEqual(Uint8Array.of(3));
    expect(fromPem(text)).toEqual(Uint8Array.of(1));
    expect(fromPem(text, 'CERTIFICATE')).toBeUndefined();
    expect(pemBlocks(text).map((b) => b.label)).toEqual(['PRIVATE KEY', 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  });

  it('ok/CRLF line endings and unwrapped base64', () => {
    const b64 = Buffer.from(DER).toString('base64');
    expect(fromPem(`-----BEGIN CERTIFICATE-----\r\n${b64}\r\n-----END CERTIFICATE-----\r\n`)).toEqual(DER);
  });

  it('ok/a block whose END label differs is not a block', () => {
    expect(pemBlocks('-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----\n')).toEqual([]);
  });

  it('fail/legacy headers (Proc-Type, DEK-Info) are refused', () => {
    // OpenSSL's legacy encrypted key file: headers between the BEGIN line and the base64.
    const legacy = toPem(Uint8Array.of(0), 'RSA PRIVATE KEY').replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n');
    expect(() => pemBlocks(legacy)).toThrow(/headers/);
  });

  it('fail/a body that is not base64', () => {
    expect(() => pemBlocks('-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n')).toThrow(TypeError);
  });

  it('ok/isPem', () => {
    expect(isPem(toPem(DER, 'X509 CRL'))).toBe(true);
    expect(isPem('MIIB')).toBe(false);
    expect(isPem('-----BEGIN lower-----')).toBe(false);
  });
});
