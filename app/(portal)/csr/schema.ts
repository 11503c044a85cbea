import { z } from '@/app/_lib/zod';
import { certValidityDays } from '@/app/_lib/zod-rules';
import { MAX_REQUEST_ZIP_BYTES } from '@/lib/openfl/manual';

export const CSR_ROLES = [
  { value: 'collaborator', label: 'Collaborator' },
  { value: 'aggregator', label: 'Aggregator' },
  { value: 'envoy', label: 'Envoy' },
  { value: 'director', label: 'Director' },
  { value: 'api', label: 'API-layer node' },
] as const;
type CsrRole = (typeof CSR_ROLES)[number]['value'];

const MAX_PEM = 64 * 1024;

export const inspectCsrSchema = z
  .object({
    csrFile: z
      .instanceof(File)
      .refine((f) => f.size <= MAX_REQUEST_ZIP_BYTES, 'The file is too large to be a CSR or an OpenFL request package (256 KiB at most).')
      .optional(),
    csrText: z.string().trim().max(MAX_PEM, 'That is too long to be a CSR.').optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.csrFile && !v.csrText) ctx.addIssue({ code: 'custom', path: ['csrText'], message: 'Paste a PEM CSR, or choose a .csr or .zip file.' });
    if (v.csrText && !/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(v.csrText)) {
      ctx.addIssue({ code: 'custom', path: ['csrText'], message: 'This is not a PEM CSR: it should start with -----BEGIN CERTIFICATE REQUEST-----.' });
    }
  });

export const signCsrSchema = z.object({
  federationId: z.string().min(1, 'Choose a federation.'),
  csr: z.string().min(1, 'Read a CSR first.').max(MAX_PEM),
  role: z.enum(CSR_ROLES.map((r) => r.value) as [CsrRole, ...CsrRole[]], { message: 'Choose the node’s role.' }),
  certValidityDays,
  packaged: z.enum(['zip', 'pem']),
  confirmHash: z.literal('yes', { message: 'Confirm that the requester’s hash matches this one.' }),
});
