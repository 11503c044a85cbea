'use server';

import { revalidatePath } from 'next/cache';
import type { KeySpec } from '@/lib/pki/keys';
import { validatePublicUrl } from '@/lib/ca/federation';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { createFederationSchema, federationIdFor, federationStatusSchema } from './schema';
import { federationSettingsSchema } from './settings-schema';

/** Creates a federation with its own root, intermediate and provisioner key, and opens its port. */
export const createFederationAction = validatedActionWithUser<typeof createFederationSchema, { href: string }>(createFederationSchema, 'federation:manage', async (input, user) => {
  const rt = runtime();
  const id = federationIdFor(input.name);
  await rt.authority.createFederation(
    { id, name: input.name, caUrl: input.caUrl, keySpec: input.keySpec as KeySpec, publicUrl: rt.config.publicUrl ?? null, defaultCertSeconds: input.certValidityDays * 86_400 },
    { id: user.actorId, sourceIp: user.sourceIp },
  );
  let listening = true;
  try {
    await rt.federationsChanged();
  } catch (e) {
    listening = false;
    rt.log.warn('federation created but its port could not be opened', { federation: id, caUrl: input.caUrl, error: (e as Error).message });
  }
  revalidatePath('/', 'layout');
  // The form navigates there itself: a redirect from an action makes Next.js fetch the
  // page server-side with the caller's cookies (see server/run.ts nextSelfAddress).
  return { ok: true, data: { href: `/federations/${id}?created=1${listening ? '' : '&port=closed'}` } };
});

/** Disables a federation (its tokens and renewals are refused) or enables it again. */
export const setFederationStatusAction = validatedActionWithUser(federationStatusSchema, 'federation:manage', async (input, user) => {
  const rt = runtime();
  await rt.authority.updateFederation(input.id, { status: input.status }, { id: user.actorId, sourceIp: user.sourceIp });
  revalidatePath('/', 'layout');
  return { ok: true };
});

/**
 * A federation's public URL (the CRL distribution point and OCSP address put in the
 * leaves it issues from now on; empty: none) and whether expired certificates may
 * renew. Unchanged values are not written, so saving as-is leaves no audit entry.
 */
export const updateFederationSettingsAction = validatedActionWithUser(federationSettingsSchema, 'federation:manage', async (input, user): Promise<ActionState<{ changed: boolean }>> => {
  const rt = runtime();
  const current = rt.authority.federation(input.id).federation;
  const publicUrl = input.publicUrl ? validatePublicUrl(input.publicUrl) : null;
  const patch: { publicUrl?: string | null; allowRenewAfterExpiry?: boolean } = {};
  if (publicUrl !== current.publicUrl) patch.publicUrl = publicUrl;
  if (input.allowRenewAfterExpiry !== current.allowRenewAfterExpiry) patch.allowRenewAfterExpiry = input.allowRenewAfterExpiry;
  if (Object.keys(patch).length) {
    await rt.authority.updateFederation(input.id, patch, { id: user.actorId, sourceIp: user.sourceIp });
    revalidatePath('/', 'layout');
  }
  return { ok: true, data: { changed: Object.keys(patch).length > 0 } };
});
