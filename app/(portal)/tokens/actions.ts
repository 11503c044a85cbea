'use server';

import { revalidatePath } from 'next/cache';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { cancelTokenSchema, mintTokenSchema, tokenLabel } from './schema';

export interface MintedTokenView {
  token: string;
  subject: string;
  federationName: string;
  expiresAt: string;
  /** The enrollment page, with the token in the fragment (never sent to a server). */
  enrollUrl: string;
}

/**
 * Mints a one-time token. The token goes back to this page once, to be copied; it is
 * neither logged nor stored (the database keeps its id, subject and state).
 */
export const mintTokenAction = validatedActionWithUser(mintTokenSchema, 'token:mint', async (input, user): Promise<ActionState<MintedTokenView>> => {
  const rt = runtime();
  const ctx = rt.authority.federation(input.federationId);
  const minted = await rt.authority.mintToken(
    input.federationId,
    { subject: input.subject, sans: input.sans, role: input.role, ttlSeconds: input.ttlSeconds, certSeconds: input.certValidityDays * 86_400 },
    { id: user.actorId, sourceIp: user.sourceIp },
  );
  revalidatePath('/tokens');
  return {
    ok: true,
    data: {
      token: minted.token,
      subject: minted.record.subject,
      federationName: ctx.federation.name,
      expiresAt: minted.record.expiresAt.toISOString(),
      enrollUrl: `https://${ctx.federation.caUrl}/enroll#token=${encodeURIComponent(minted.token)}`,
    },
  };
});

/** Cancels a pending token; says which, as the list shows it (a row may leave a filtered list). */
export const cancelTokenAction = validatedActionWithUser(cancelTokenSchema, 'token:cancel', async (input, user): Promise<ActionState<{ label: string }>> => {
  const token = await runtime().authority.cancelToken(input.jti, { id: user.actorId, sourceIp: user.sourceIp });
  revalidatePath('/tokens');
  return { ok: true, data: { label: tokenLabel(token) } };
});
