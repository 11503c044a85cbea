'use server';

import { revalidatePath } from 'next/cache';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { revokeCertificateSchema } from './schema';

/**
 * Revokes a certificate for the reason given; the authority records it with the
 * audit entry in one transaction and publishes the federation's new CRL. OCSP answers
 * from the inventory, so it says "revoked" at once. Errors such as already_revoked
 * come back as the form's message.
 */
export const revokeCertificateAction = validatedActionWithUser(revokeCertificateSchema, 'cert:revoke', async (input, user) => {
  const { crl } = await runtime().authority.revoke(input.serial, { reasonCode: input.reasonCode, reason: input.note || null }, { id: user.actorId, sourceIp: user.sourceIp }, 'portal');
  revalidatePath(`/certificates/${input.serial}`);
  return { ok: true, data: { crlNumber: crl?.number ?? null } };
});
