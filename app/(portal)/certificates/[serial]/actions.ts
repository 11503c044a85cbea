'use server';

import { revalidatePath } from 'next/cache';
import { isCaError } from '@/lib/ca/errors';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { formatDateTime } from '@/app/_components/format';
import { revokeCertificateSchema } from './schema';

export interface RevokeOutcome {
  /** The number of the CRL published after the revocation (null: the server's timer publishes it). */
  crlNumber?: number | null;
  /** Someone revoked it first (another tab, the CLI, the API): nothing was changed. */
  alreadyRevoked?: boolean;
}

/**
 * Revokes a certificate for the reason given; the authority records it with the
 * audit entry in one transaction and publishes the federation's new CRL. OCSP answers
 * from the inventory, so it says "revoked" at once. A certificate revoked meanwhile is
 * answered in the portal's words (when and by whom); other CaErrors pass through.
 */
export const revokeCertificateAction = validatedActionWithUser(revokeCertificateSchema, 'cert:revoke', async (input, user): Promise<ActionState<RevokeOutcome>> => {
  const rt = runtime();
  try {
    const { crl } = await rt.authority.revoke(input.serial, { reasonCode: input.reasonCode, reason: input.note || null }, { id: user.actorId, sourceIp: user.sourceIp }, 'portal');
    revalidatePath(`/certificates/${input.serial}`);
    return { ok: true, data: { crlNumber: crl?.number ?? null } };
  } catch (e) {
    if (!isCaError(e) || e.code !== 'already_revoked') throw e;
    const cert = await rt.queries.getCertificateDetail({ serial: input.serial });
    const when = cert?.revokedAt ? ` on ${formatDateTime(cert.revokedAt)}` : '';
    const who = cert?.revocation ? ` by ${cert.revocation.actor}` : '';
    return { error: `This certificate was already revoked${when}${who}; nothing was changed.`, data: { alreadyRevoked: true } };
  }
});
