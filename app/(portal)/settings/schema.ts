import { z } from 'zod';
import { validateWebhookUrl } from '@/lib/ca/webhook';
import { ruleOf } from '@/app/_lib/zod-rules';

/** The expiry webhook URL; empty turns the notices off. Same rule as the CA (lib/ca/webhook.ts). */
export const webhookSchema = z.object({
  webhookUrl: z.string().trim().max(2000, 'Use at most 2,000 characters.').superRefine(ruleOf(validateWebhookUrl)),
});
