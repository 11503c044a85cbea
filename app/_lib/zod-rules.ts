/**
 * Bridges from FedPKI's own validators (which throw CaError with a sentence) to zod
 * refinements, so forms in the browser and server actions apply exactly the rules
 * the CA applies — one definition, three places.
 */

import type { z } from 'zod';

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
