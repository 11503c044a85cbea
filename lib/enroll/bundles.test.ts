import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../pki/encoding';
import { exportPkcs8, generateKeyPair } from '../pki/keys';
import { aggregatorWorkflowFiles, directorEnvoyFiles, fileSafeName, guessRole, roleFromToken, zipBundle, type NodeMaterial } from './bundles';
import { pemLabelOf } from '@/test/helpers/unit';

const ROOT = '-----BEGIN CERTIFICATE-----\nUk9PVA==\n-----END CERTIFICATE-----\n';
const INT = '-----BEGIN CERTIFICATE-----\nSU5U\n-----END CERTIFICATE-----\n';
const LEAF = '-----BEGIN CERTIFICATE-----\nTEVBRg==\n-----END CERTIFICATE-----\n';

async function material(name: string, spec: 'EC-P384' | 'RSA-2048' = 'EC-P384'): Promise<NodeMaterial> {
  const keys = await generateKeyPair(spec);
  return { name, rootPem: ROOT, leafPem: LEAF, intermediatesPem: [INT], privateKey: await exportPkcs8(keys.privateKey) };
}

describe('directorEnvoyFiles', () => {
  it('ok/the names and order fx pki certify writes', async () => {
    const files = directorEnvoyFiles(await material('envoy-1'));
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['cert/root_ca.crt', 0o644],
      ['cert/envoy-1.crt', 0o600],
      ['cert/envoy-1.key', 0o600],
    ]);
    expect(files[0]!.content).toBe(ROOT);
    expect(files[1]!.content).toBe(LEAF + INT);
    expect(pemLabelOf(files[2]!.content)).toBe('EC PRIVATE KEY');
  });

  it('ok/an RSA key is written as PKCS#1', async () => {
    const files = directorEnvoyFiles(await material('envoy-1', 'RSA-2048'));
    expect(pemLabelOf(files[2]!.content)).toBe('RSA PRIVATE KEY');
  });
});

describe('aggregatorWorkflowFiles', () => {
  it('ok/collaborator: cert_chain.crt is root then intermediate, the leaf file holds the leaf only', async () => {
    const files = aggregatorWorkflowFiles(await material('Col_A'), 'collaborator');
    expect(files.map((f) => f.path)).toEqual(['cert/cert_chain.crt', 'cert/client/col_Col_A.crt', 'cert/client/col_Col_A.key']);
    expect(files[0]!.content).toBe(ROOT + INT);
    expect(files[1]!.content).toBe(LEAF);
    expect(files[2]!.mode).toBe(0o600);
  });

  it('ok/aggregator: agg_<fqdn> in lowercase, as plan.py looks it up', async () => {
    const files = aggregatorWorkflowFiles(await material('Agg.Example.org'), 'aggregator');
    expect(files.map((f) => f.path)).toEqual(['cert/cert_chain.crt', 'cert/server/agg_agg.example.org.crt', 'cert/server/agg_agg.example.org.key']);
  });
});

describe('zipBundle', () => {
  it('ok/round-trips and records Unix modes', async () => {
    const files = directorEnvoyFiles(await material('envoy-1'));
    const zip = zipBundle(files, new Date('2026-01-02T03:04:06Z'));
    const back = unzipSync(zip);
    expect(Object.keys(back)).toEqual(files.map((f) => f.path));
    expect(fromUtf8(back['cert/envoy-1.crt']!)).toBe(LEAF + INT);
    // the central directory's external attributes carry the mode (0o100600 << 16)
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const modes: number[] = [];
    for (let i = 0; i + 46 <= zip.length; i++) {
      if (view.getUint32(i, true) === 0x02014b50) modes.push((view.getUint32(i + 38, true) >>> 16) & 0o777);
    }
    expect(modes).toEqual([0o644, 0o600, 0o600]);
  });
});

describe('roleFromToken', () => {
  it.each([
    ['aggregator', { side: 'aggregator', workflow: 'aggregator' }],
    ['collaborator', { side: 'collaborator', workflow: 'aggregator' }],
    ['director', { side: 'aggregator', workflow: 'director-envoy' }],
    ['envoy', { side: 'collaborator', workflow: 'director-envoy' }],
    ['api', undefined],
    ['other', undefined],
    [undefined, undefined],
  ] as const)('%s → %j', (role, want) => {
    expect(roleFromToken(role)).toEqual(want);
  });
});

describe('guessRole and fileSafeName', () => {
  it.each([
    ['collaborator1', [], 'collaborator'],
    ['agg.example.org', [], 'aggregator'],
    ['localhost', [], 'aggregator'],
    ['10.0.0.5', [], 'aggregator'],
    ['director', ['director', '10.1.2.3'], 'aggregator'],
  ] as const)('%s %j → %s', (subject, sans, role) => {
    expect(guessRole(subject, sans)).toBe(role);
  });

  it('keeps safe names and neutralises the rest', () => {
    expect(fileSafeName('collab_1.example-org')).toBe('collab_1.example-org');
    expect(fileSafeName('::1')).toBe('__1');
    expect(fileSafeName('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(fileSafeName('')).toBe('node');
  });
});
