import { z } from 'zod';
import { MAX_REASON_TEXT, parseReasonCode } from '@/lib/ca/revoke';
import { ruleOf } from '@/app/_lib/zod-rules';

/**
 * Revoking from the certificate's page. `confirm` is set only by the form's
 * confirmation step, so a request that skipped it is refused here, not only hidden.
 * Server-side only: the form's choices are fixed, so the browser needs no copy.
 */
export const revokeCertificateSchema = z.object({
  serial: z.string().regex(/^[0-9a-f]{1,64}$/, 'Unknown certificate.'),
  reasonCode: z
    .string({ message: 'Choose a reason.' })
    .trim()
    .min(1, 'Choose a reason.')
    .superRefine(ruleOf(parseReasonCode))
    .transform((v) => parseReasonCode(v)),
  note: z.string().trim().max(MAX_REASON_TEXT, `Use at most ${MAX_REASON_TEXT} characters.`).optional(),
  confirm: z.literal('yes', { message: 'Confirm the revocation first.' }),
});
