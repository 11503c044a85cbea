import { z } from '@/app/_lib/zod';
import { validateSans, validateSubject } from '@/lib/ca/policy';
import { normalizeSerial } from '@/lib/pki/certificate';
import { parseIp } from '@/lib/pki/extensions/subject-alt-name';
import { certValidityDays, listItems, ruleOf } from '@/app/_lib/zod-rules';

/** What kind of node a token is for, and what its subject is. */
export const ROLE_PRESETS = {
  collaborator: { label: 'Collaborator', subject: 'name', help: 'OpenFL compares the certificate name with the collaborator name exactly.' },
  envoy: { label: 'Envoy', subject: 'name', help: 'The envoy’s shard name, as given to fx envoy start -n.' },
  aggregator: { label: 'Aggregator', subject: 'fqdn', help: 'The host name collaborators dial (agg_addr).' },
  director: { label: 'Director', subject: 'fqdn', help: 'The host name envoys dial.' },
  api: { label: 'API-layer node', subject: 'name', help: 'The client name the director sees (experiment owner).' },
} as const;
export type RolePreset = keyof typeof ROLE_PRESETS;
export const ROLE_PRESET_KEYS = Object.keys(ROLE_PRESETS) as RolePreset[];

export const TOKEN_LIFETIMES = [
  { seconds: 900, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 3 * 86_400, label: '3 days' },
  { seconds: 7 * 86_400, label: '7 days' },
] as const;

export const mintTokenSchema = z
  .object({
    federationId: z.string().min(1, 'Choose a federation.'),
    role: z.enum(ROLE_PRESET_KEYS as [RolePreset, ...RolePreset[]], { message: 'Choose what kind of node this is.' }),
    subject: z.string().trim().min(1, 'Enter the node’s name.').superRefine(ruleOf(validateSubject)),
    ipSans: z.string().optional(),
    extraSans: z.string().optional(),
    ttlSeconds: z.coerce.number().refine((n) => TOKEN_LIFETIMES.some((t) => t.seconds === n), 'Choose how long the token lives.'),
    certValidityDays,
  })
  .superRefine((v, ctx) => {
    if (ROLE_PRESETS[v.role].subject === 'fqdn' && !parseIp(v.subject)) {
      try {
        validateSans([v.subject]);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['subject'], message: 'Use the host name nodes dial, e.g. agg.example.org.' });
      }
    }
    const ips = listItems(v.ipSans);
    const bad = ips.find((ip) => !parseIp(ip));
    if (bad) ctx.addIssue({ code: 'custom', path: ['ipSans'], message: `"${bad}" is not an IP address.` });
    const extra = listItems(v.extraSans);
    if (extra.length) {
      try {
        validateSans(extra);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['extraSans'], message: (e as Error).message });
      }
    }
  })
  .transform((v) => ({
    ...v,
    /** The subject first, then IPs and extra names, each once. */
    sans: [...new Set([v.subject, ...(ROLE_PRESETS[v.role].subject === 'fqdn' ? listItems(v.ipSans) : []), ...listItems(v.extraSans)])],
  }));

export const cancelTokenSchema = z.object({
  jti: z.string().regex(/^[0-9a-f]{64}$/, 'That is not a token id.'),
});

/** A token as the list names it: its node, or for a revocation token the certificate it revokes. */
export function tokenLabel(t: { kind: 'sign' | 'revoke'; subject: string }): string {
  return t.kind === 'sign' ? t.subject : `certificate ${normalizeSerial(t.subject, 10) ?? t.subject}`;
}
