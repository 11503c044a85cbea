'use server';

import { revalidatePath } from 'next/cache';
import type { KeySpec } from '@/lib/pki/keys';
import { CaError } from '@/lib/ca/errors';
import { splitCaUrl, validatePublicUrl } from '@/lib/ca/federation';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { createFederationSchema, federationIdFor, federationStatusSchema } from './schema';
import { federationSettingsSchema } from './settings-schema';

/** Creates a federation with its own root, intermediate and provisioner key, and opens its port. */
export const createFederationAction = validatedActionWithUser<typeof createFederationSchema, { href: string }>(createFederationSchema, 'federation:manage', async (input, user) => {
  const rt = runtime();
  const id = federationIdFor(input.name);
  // A port another program holds would make a federation no node can reach: refuse it
  // before anything is created (a port this server already has open may be shared).
  const problem = await rt.listeners.cannotOpen(input.caUrl);
  if (problem) {
    const message = `Port ${splitCaUrl(input.caUrl).port} cannot be opened here: ${problem}. Choose another port for the CA URL.`;
    throw new CaError('conflict', message, { fieldErrors: { caUrl: [message] } });
  }
  await rt.authority.createFederation(
    { id, name: input.name, caUrl: input.caUrl, keySpec: input.keySpec as KeySpec, publicUrl: rt.config.publicUrl ?? null, defaultCertSeconds: input.certValidityDays * 86_400 },
    { id: user.actorId, sourceIp: user.sourceIp },
  );
  // The port was free a moment ago; if another program took it since, the listeners
  // log it and keep trying, and the federation's page says so.
  await rt.federationsChanged().catch(() => undefined);
  revalidatePath('/', 'layout');
  // The form navigates there itself: a redirect from an action makes Next.js fetch the
  // page server-side with the caller's cookies (see server/run.ts nextSelfAddress).
  return { ok: true, data: { href: `/federations/${id}?created=1` } };
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
