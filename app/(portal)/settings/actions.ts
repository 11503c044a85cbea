'use server';

import { revalidatePath } from 'next/cache';
import { EXPIRY_WEBHOOK_KEY, webhookSettingChange, webhookUrlFrom } from '@/lib/ca/webhook';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { webhookSchema } from './schema';

/**
 * Sets (or, empty, clears) the CA's one expiry webhook URL, with its audit entry in
 * the same transaction. The server's notifier reads the setting on every pass, so
 * the change takes effect without a restart. Saving the same value changes nothing.
 */
export interface WebhookSaved {
  changed: boolean;
  set: boolean;
}

export const saveWebhookAction = validatedActionWithUser(webhookSchema, 'settings:manage', async (input, user): Promise<ActionState<WebhookSaved>> => {
  const { settings } = runtime().database;
  const { value, audit } = webhookSettingChange(input.webhookUrl || null, { id: user.actorId, sourceIp: user.sourceIp });
  const current = webhookUrlFrom(await settings.get(EXPIRY_WEBHOOK_KEY)) ?? null;
  if (current !== value) await settings.setAudited(EXPIRY_WEBHOOK_KEY, value, audit);
  revalidatePath('/settings');
  return { ok: true, data: { changed: current !== value, set: value !== null } };
});
