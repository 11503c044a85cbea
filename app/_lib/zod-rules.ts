/**
 * Bridges from FedPKI's own validators (which throw CaError with a sentence) to zod
 * refinements, so forms in the browser and server actions apply exactly the rules
 * the CA applies — one definition, three places.
 */

import { z } from './zod';
import { DAY_SECONDS, MAX_CERT_SECONDS } from '@/lib/ca/validity';

/** The longest certificate validity, in days, that the CA signs (the forms' `max`). */
export const MAX_CERT_DAYS = MAX_CERT_SECONDS / DAY_SECONDS;

/** A certificate validity in whole days, within what the CA signs. */
export const certValidityDays = z.coerce
  .number({ message: 'Enter a number of days.' })
  .int('Use whole days.')
  .min(1, 'At least 1 day.')
  .max(MAX_CERT_DAYS, `At most ${MAX_CERT_DAYS} days (5 years).`);

export function ruleOf(check: (value: string) => unknown): (value: string, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    if (!value) return;
    try {
      check(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : 'This value is not accepted.' });
    }
  };
}

/** Splits a free-text list (commas, spaces or new lines) into its items. */
export function listItems(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}
