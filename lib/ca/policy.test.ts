import { describe, expect, it } from 'vitest';
import { parseCsr, type ParsedCsr } from '../pki/csr';
import { bitString, nullValue, oid, sequence, unsignedInteger } from '../pki/der';
import { createCsr } from '../pki/csr';
import { generateKeyPair } from '../pki/keys';
import { encodeName, parseName, type NameAttribute } from '../pki/name';
import * as OID from '../pki/oids';
import { parseSpki, type PublicKeyInfo } from '../pki/spki';
import { csrFixture } from '@/test/helpers/unit';
import { isCaError } from './errors';
import { MAX_COMMON_NAME, MAX_SANS, checkCsrNames, checkKeyPolicy, csrSigningNames, validateSans, validateSubject } from './policy';

function expectCaError(fn: () => unknown, code: string, message?: string | RegExp) {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isCaError(thrown), `expected CaError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** An RSA SubjectPublicKeyInfo with a modulus of exactly `bits` bits (not a real key: policy reads only the numbers). */
function rsaSpki(bits: number, exponent: Uint8Array = Uint8Array.of(1, 0, 1), oddModulus = true): PublicKeyInfo {
  const n = new Uint8Array(Math.ceil(bits / 8)).fill(0xc5);
  n[0] = 1 << ((bits - 1) % 8);
  if (!oddModulus) n[n.length - 1] = 0xc4;
  const key = sequence(unsignedInteger(n), unsignedInteger(exponent));
  return parseSpki(sequence(sequence(oid(OID.rsaEncryption), nullValue()), bitString(key)));
}

const keyOf = (name: string) => parseCsr(csrFixture(name)).publicKey;

describe('checkKeyPolicy', () => {
  it.each([
    ['ok/RSA 2048 (OpenSSL request)', () => keyOf('rsa-2048')],
    ['ok/RSA 2048', () => rsaSpki(2048)],
    ['ok/RSA 3072', () => rsaSpki(3072)],
    ['ok/RSA 4096', () => rsaSpki(4096)],
    ['ok/RSA 8192', () => rsaSpki(8192)],
    ['ok/RSA exponent 2^256 - 1', () => rsaSpki(2048, new Uint8Array(32).fill(0xff))],
    ['ok/RSA exponent 65539', () => rsaSpki(2048, Uint8Array.of(1, 0, 3))],
    ['ok/EC P-256', () => keyOf('p-256')],
    ['ok/EC P-384', () => keyOf('p-384')],
    ['ok/EC P-521', () => keyOf('p-521')],
    ['ok/EC P-384 (step CLI)', () => keyOf('step/step-cli-p384.csr')],
  ])('%s', (_name, key) => {
    expect(() => checkKeyPolicy(key())).not.toThrow();
  });

  it.each<[string, () => PublicKeyInfo, string, RegExp]>([
    ['fail/RSA 1024 (OpenSSL request)', () => keyOf('rsa-1024'), 'policy_key_weak', /at least 2048 bits; this one has 1024/],
    ['fail/RSA 1536', () => rsaSpki(1536), 'policy_key_weak', /this one has 1536/],
    ['fail/RSA 2047', () => rsaSpki(2047), 'policy_key_weak', /this one has 2047/],
    ['fail/RSA 8200', () => rsaSpki(8200), 'policy_key_unsupported', /over 8192 bits/],
    ['fail/RSA exponent 1: any padded hash is a valid signature, so no private key is needed', () => rsaSpki(2048, Uint8Array.of(1)), 'policy_key_weak', /public exponent must be odd and from 65537 to 2\^256 - 1, this one is 1;/],
    ['fail/RSA exponent 3', () => rsaSpki(3072, Uint8Array.of(3)), 'policy_key_weak', /this one is 3;/],
    ['fail/RSA exponent 65535', () => rsaSpki(2048, Uint8Array.of(0xff, 0xff)), 'policy_key_weak', /this one is 65535;/],
    ['fail/RSA exponent 65538 (even)', () => rsaSpki(2048, Uint8Array.of(1, 0, 2)), 'policy_key_weak', /this one is 65538;/],
    ['fail/RSA exponent 2^256 + 1', () => rsaSpki(2048, Uint8Array.of(1, ...new Uint8Array(31), 1)), 'policy_key_weak', /this one is larger;/],
    ['fail/RSA exponent 0', () => rsaSpki(2048, Uint8Array.of(0)), 'policy_key_weak', /this one is 0;/],
    ['fail/RSA with an even modulus', () => rsaSpki(2048, undefined, false), 'policy_key_weak', /its modulus must be odd/],
    ['fail/RSA 16384', () => rsaSpki(16384), 'policy_key_unsupported', /over 8192 bits/],
    ['fail/EC secp256k1', () => keyOf('secp256k1'), 'policy_key_unsupported', /curve 1\.3\.132\.0\.10 is not accepted; use P-256, P-384 or P-521/],
    ['fail/Ed25519', () => keyOf('ed25519'), 'policy_key_unsupported', /Ed25519 keys are not accepted/],
    ['fail/DSA', () => keyOf('dsa-2048'), 'policy_key_unsupported', /DSA keys are not accepted/],
    ['fail/RSA-PSS', () => keyOf('rsa-pss-2048'), 'policy_key_unsupported', /RSA-PSS keys are not accepted/],
    ['fail/an unknown algorithm', () => parseSpki(sequence(sequence(oid('1.2.3.4')), bitString(Uint8Array.of(1)))), 'policy_key_unsupported', /unknown key \(1\.2\.3\.4\)/],
  ])('%s', (_name, key, code, message) => {
    expectCaError(() => checkKeyPolicy(key()), code, message);
  });
});

interface CsrShape {
  cn?: string;
  others?: NameAttribute[];
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
  other?: number;
}

/** The two fields checkCsrNames reads, as parseCsr reports them. */
function csrWith(s: CsrShape): ParsedCsr {
  const attrs: NameAttribute[] = [...(s.others ?? [])];
  if (s.cn !== undefined) attrs.push({ type: OID.id_at_commonName, value: s.cn });
  return {
    subject: parseName(encodeName(attrs)),
    sans: { dns: s.dns ?? [], ip: s.ip ?? [], email: s.email ?? [], uri: s.uri ?? [], other: s.other ?? 0 },
  } as ParsedCsr;
}

describe('checkCsrNames (step-ca commonNameSliceValidator + defaultSANsValidator)', () => {
  const SUB = 'collaborator1';
  const SANS = ['collaborator1', 'collaborator1.fed.example', '10.0.0.7', '2001:db8::7', 'ops@fed.example', 'spiffe://fed/collaborator1'];
  const ALL = { dns: ['collaborator1', 'collaborator1.fed.example'], ip: ['10.0.0.7', '2001:db8::7'], email: ['ops@fed.example'], uri: ['spiffe://fed/collaborator1'] };

  it.each<[string, CsrShape, string[]?]>([
    ['ok/CN is the subject, every SAN kind equal', { cn: SUB, ...ALL }],
    ['ok/SANs in another order', { cn: SUB, dns: [...ALL.dns].reverse(), ip: [...ALL.ip].reverse(), email: ALL.email, uri: ALL.uri }],
    ['ok/CN is one of the SANs', { cn: 'collaborator1.fed.example', ...ALL }],
    ['ok/no CN', { ...ALL }],
    ['ok/an empty CN', { cn: '', ...ALL }],
    ['ok/no SANs at all: absent kinds pass', { cn: SUB }],
    ['ok/only DNS names; the token also has IPs, e-mail, URIs', { cn: SUB, dns: ALL.dns }],
    ['ok/DNS names compare case-insensitively', { cn: SUB, dns: ['COLLABORATOR1', 'Collaborator1.Fed.Example'] }],
    ['ok/only IPs', { ip: ['2001:db8::7', '10.0.0.7'] }],
    ['ok/token IPs are compared in canonical form', { ip: ['2001:db8::7'] }, ['2001:DB8:0::7']],
    ['ok/an IPv4-mapped token SAN is the IPv4 address the step CLI writes', { ip: ['10.0.0.7'] }, ['::ffff:10.0.0.7']],
    ['ok/token sans default to the subject', { cn: SUB, dns: [SUB] }, [SUB]],
    ['ok/a name repeated in the request is still the same set (step compares maps)', { cn: SUB, dns: [SUB, SUB] }, [SUB]],
  ])('%s', (_name, shape, tokenSans = SANS) => {
    expect(() => checkCsrNames(csrWith(shape), SUB, tokenSans)).not.toThrow();
  });

  it.each<[string, CsrShape, string, RegExp?, string[]?]>([
    ['fail/CN is neither the subject nor a SAN', { cn: 'aggregator', ...ALL }, 'csr_name_mismatch', /common name "aggregator" is not the token's subject "collaborator1"/],
    ['fail/CN differs in case (OpenFL compares exactly)', { cn: 'Collaborator1', ...ALL }, 'csr_name_mismatch'],
    ['fail/subject has an organization', { cn: SUB, others: [{ type: OID.id_at_organizationName, value: 'Acme' }] }, 'csr_name_mismatch', /may only hold a common name/],
    ['fail/a SAN kind this CA does not issue', { cn: SUB, dns: ALL.dns, other: 1 }, 'csr_san_mismatch', /of a kind this CA does not issue/],
    ['fail/fewer DNS names', { cn: SUB, dns: ['collaborator1'] }, 'csr_san_mismatch', /does not contain the valid DNS names - got \[collaborator1\], want \[collaborator1 collaborator1.fed.example\]/],
    ['fail/more DNS names', { cn: SUB, dns: [...ALL.dns, 'extra'] }, 'csr_san_mismatch', /DNS names/],
    ['fail/a repeated DNS name in place of a missing one', { cn: SUB, dns: ['collaborator1', 'collaborator1'] }, 'csr_san_mismatch', /DNS names/],
    ['fail/an IP the token does not have', { cn: SUB, ip: ['10.0.0.8', '2001:db8::7'] }, 'csr_san_mismatch', /IP addresses/],
    ['fail/a repeated IP', { cn: SUB, ip: ['10.0.0.7', '10.0.0.7'] }, 'csr_san_mismatch', /IP addresses/],
    ['fail/another e-mail address', { cn: SUB, email: ['root@fed.example'] }, 'csr_san_mismatch', /email addresses/],
    ['fail/e-mail addresses compare exactly', { cn: SUB, email: ['OPS@fed.example'] }, 'csr_san_mismatch', /email addresses/],
    ['fail/another URI', { cn: SUB, uri: ['spiffe://fed/aggregator'] }, 'csr_san_mismatch', /URIs/],
    ['fail/DNS names when the token has none', { cn: SUB, dns: ['collaborator1'] }, 'csr_san_mismatch', /want \[\]/, ['10.0.0.7']],
  ])('%s', (_name, shape, code, message, tokenSans = SANS) => {
    expectCaError(() => checkCsrNames(csrWith(shape), SUB, tokenSans), code, message);
  });

  it('ok/a real request made from the token sans', async () => {
    const keys = await generateKeyPair('EC-P256');
    const csr = parseCsr(await createCsr({ keys, commonName: SUB, sans: SANS }));
    expect(() => checkCsrNames(csr, SUB, SANS)).not.toThrow();
    expectCaError(() => checkCsrNames(csr, SUB, SANS.slice(1)), 'csr_san_mismatch');
  });

  it('ok/the step CLI request fits a token for collaborator1', () => {
    const csr = parseCsr(csrFixture('step/step-cli-p384.csr'));
    expect(() => checkCsrNames(csr, 'collaborator1', ['collaborator1'])).not.toThrow();
    expectCaError(() => checkCsrNames(csr, 'collaborator2', ['collaborator2']), 'csr_name_mismatch');
  });
});

describe('csrSigningNames (a CSR uploaded for signing)', () => {
  it.each<[string, CsrShape, string[]]>([
    ['ok/no SANs: the CN', { cn: 'one' }, ['one']],
    ['ok/SANs that name the CN', { cn: 'agg.example.org', dns: ['agg.example.org'], ip: ['10.0.0.1'] }, ['agg.example.org', '10.0.0.1']],
    ['ok/SANs that leave the CN out get it first (gRPC checks the SANs only)', { cn: 'agg.example.org', ip: ['10.0.0.1'] }, ['agg.example.org', '10.0.0.1']],
    ['ok/the CN in another case is not added twice', { cn: 'Agg.Example.org', dns: ['agg.example.org'] }, ['Agg.Example.org']],
  ])('%s', (_name, shape, sans) => {
    const names = csrSigningNames(csrWith(shape));
    expect(names.subject).toBe(shape.cn);
    expect(names.sans).toEqual(sans);
  });
});

describe('validateSubject', () => {
  it.each([
    ['collaborator1', 'collaborator1'],
    ['Collaborator_1', 'Collaborator_1'],
    ['node.fed.example.org', 'node.fed.example.org'],
    ['a', 'a'],
    ['node_', 'node_'],
    ['  padded  ', 'padded'],
    ['10.0.0.1', '10.0.0.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['x'.repeat(MAX_COMMON_NAME), 'x'.repeat(MAX_COMMON_NAME)],
  ])('ok/%j → %j', (input, expected) => {
    expect(validateSubject(input)).toBe(expected);
  });

  it.each(['', '   ', 'x'.repeat(MAX_COMMON_NAME + 1), '-node', 'node-', '.node', 'node.', '_node', 'node name', 'node/1', 'nödé', 'a@b', 'a:b', 'a\nb'])(
    'fail/%j',
    (input) => {
      expectCaError(() => validateSubject(input), 'policy_name_invalid');
    },
  );
});

describe('validateSans', () => {
  it.each<[string, string[], string[]]>([
    ['ok/one name', ['collaborator1'], ['collaborator1']],
    ['ok/kinds sorted DNS, IP, e-mail, URI; IPs canonical; duplicates dropped', ['spiffe://fed/n', 'ops@x.org', '2001:DB8::1', 'n', 'n', '10.0.0.1'], ['n', '2001:db8::1', '10.0.0.1', 'ops@x.org', 'spiffe://fed/n']],
    ['ok/underscores and a trailing dot in DNS names', ['a_b.example.org.'], ['a_b.example.org.']],
    ['ok/a wildcard label is not a DNS name here', ['x.example.org'], ['x.example.org']],
    ['ok/mailto: is a URI', ['mailto:ops@x.org'], ['mailto:ops@x.org']],
    ['ok/exactly the maximum', Array.from({ length: MAX_SANS }, (_, i) => `n${i}`), Array.from({ length: MAX_SANS }, (_, i) => `n${i}`)],
  ])('%s', (_name, input, expected) => {
    expect(validateSans(input)).toEqual(expected);
  });

  it.each<[string, string[], RegExp]>([
    ['fail/none', [], /At least one/],
    ['fail/only blanks', ['', '  '], /At least one/],
    ['fail/too many', Array.from({ length: MAX_SANS + 1 }, (_, i) => `n${i}`), /At most 50/],
    ['fail/a space in a DNS name', ['bad name'], /"bad name" is not a valid DNS name/],
    ['fail/an empty label', ['a..b'], /not a valid DNS name/],
    ['fail/an IPv4 address with leading zeros, which resolvers read as another address', ['010.1.2.3'], /neither a DNS name nor an IP address in its usual form/],
    ['fail/a short numeric form (inet_aton reads 10.1 as 10.0.0.1)', ['10.1'], /neither a DNS name nor an IP address/],
    ['fail/a label starting with a hyphen', ['-a.example'], /not a valid DNS name/],
    ['fail/a label of 64 characters', [`${'a'.repeat(64)}.example`], /not a valid DNS name/],
    ['fail/a wildcard', ['*.example.org'], /not a valid DNS name/],
    ['fail/a name over 253 characters', [Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')], /not a valid DNS name/],
    ['fail/an e-mail address with a space', ['a b@x.org'], /not a valid e-mail address/],
    ['fail/an e-mail address with two @', ['a@b@x.org'], /not a valid e-mail address/],
    ['fail/a URI that does not parse', ['http://[::1'], /not a valid URI/],
  ])('%s', (_name, input, message) => {
    expectCaError(() => validateSans(input), 'policy_name_invalid', message);
  });
});
