import { z } from '@/app/_lib/zod';
import { validateCaUrl, validateFederationId } from '@/lib/ca/names';
import { certValidityDays, ruleOf } from '@/app/_lib/zod-rules';

export const KEY_SPECS = [
  { value: 'EC-P256', label: 'ECDSA P-256 (recommended)' },
  { value: 'EC-P384', label: 'ECDSA P-384' },
  { value: 'RSA-3072', label: 'RSA 3072' },
] as const;

/** The federation id: the name in lowercase letters, digits and hyphens. */
export function federationIdFor(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}

export const createFederationSchema = z
  .object({
    name: z.string().trim().min(1, 'Give the federation a name.').max(48, 'Use at most 48 characters.'),
    caUrl: z.string().trim().min(1, 'Enter the host:port its nodes will reach.').superRefine(ruleOf(validateCaUrl)),
    keySpec: z.enum(['EC-P256', 'EC-P384', 'RSA-3072'], { message: 'Choose a key algorithm.' }),
    certValidityDays,
  })
  .superRefine((v, ctx) => {
    const id = federationIdFor(v.name);
    try {
      validateFederationId(id);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'The name needs at least one letter or digit.' });
    }
  });

export const federationStatusSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['active', 'disabled']),
});
