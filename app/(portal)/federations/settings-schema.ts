import { z } from 'zod';
import { validatePublicUrl } from '@/lib/ca/federation';
import { ruleOf } from '@/app/_lib/zod-rules';

/**
 * A federation's lifecycle settings. The public URL is empty (none) or an http(s)
 * base URL; the checkbox arrives only when ticked. Kept apart from ./schema.ts, which
 * the browser loads: lib/ca/federation is server code.
 */
export const federationSettingsSchema = z.object({
  id: z.string().min(1),
  publicUrl: z.string().trim().max(500, 'Use at most 500 characters.').superRefine(ruleOf(validatePublicUrl)),
  allowRenewAfterExpiry: z
    .literal('on')
    .optional()
    .transform((v) => v === 'on'),
});
