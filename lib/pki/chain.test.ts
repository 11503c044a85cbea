import { describe, expect, it } from 'vitest';
import { certFixture, fixtureText, makeFederation } from '@/test/helpers/unit';
import { certificatesFromPem } from './certificate';
import { verifyChain } from './chain';

const [LEAF, INTERMEDIATE] = certificatesFromPem(fixtureText('step/step-ca-leaf-p384.crt')) as [Uint8Array, Uint8Array];
const ROOT = certFixture('step/step-ca-root.crt');
const DURING = new Date('2026-11-26T12:00:00Z');

describe('verifyChain (pkijs RFC 5280 path validation)', () => {
  it('ok/the step-ca chain, inside the leaf validity', async () => {
    expect(await verifyChain({ leaf: LEAF, intermediates: [INTERMEDIATE], root: ROOT, checkDate: DURING })).toMatchObject({ ok: true });
  });

  it('fail/after the leaf expired, while its CAs are still valid', async () => {
    const r = await verifyChain({ leaf: LEAF, intermediates: [INTERMEDIATE], root: ROOT, checkDate: new Date('2026-11-28T00:00:00Z') });
    expect(r).toEqual({ ok: false, message: 'The certificate is either not yet valid or expired' });
  });

  it('fail/before the leaf was valid', async () => {
    const r = await verifyChain({ leaf: LEAF, intermediates: [INTERMEDIATE], root: ROOT, checkDate: new Date('2026-11-26T11:00:00Z') });
    expect(r.ok).toBe(false);
  });

  it('fail/a leaf from another CA next to the right intermediate', async () => {
    const other = await makeFederation();
    const r = await verifyChain({ leaf: other.ctx.intermediate.der, intermediates: [INTERMEDIATE], root: ROOT, checkDate: DURING });
    expect(r.ok).toBe(false);
  });

  it('fail/a leaf whose signature was tampered with', async () => {
    const tampered = LEAF.slice();
    tampered[tampered.length - 3]! ^= 1;
    expect((await verifyChain({ leaf: tampered, intermediates: [INTERMEDIATE], root: ROOT, checkDate: DURING })).ok).toBe(false);
  });

  it('fail/without the intermediate', async () => {
    expect((await verifyChain({ leaf: LEAF, intermediates: [], root: ROOT, checkDate: DURING })).ok).toBe(false);
  });

  it("fail/against another federation's root", async () => {
    const other = await makeFederation();
    expect((await verifyChain({ leaf: LEAF, intermediates: [INTERMEDIATE], root: other.ctx.root.der, checkDate: DURING })).ok).toBe(false);
  });
});
