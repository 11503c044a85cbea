import { z } from '@/app/_lib/zod';
import { ROLES } from '@/lib/auth/roles';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_RE, USERNAME_RULE } from '@/lib/auth/rules';

export const ROLE_DESCRIPTIONS = {
  admin: 'Everything, including federations and accounts.',
  operator: 'Mints and cancels tokens, signs CSRs, sees everything.',
  auditor: 'Sees everything, changes nothing.',
} as const;

const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`);

const role = z.enum(ROLES, { message: 'Choose a role.' });

export const createUserSchema = z
  .object({
    username: z.string().trim().min(1, 'Enter a user name.').regex(USERNAME_RE, USERNAME_RULE),
    displayName: z.string().trim().max(80, 'Use at most 80 characters.').optional(),
    role,
    password,
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords differ.' });

export const updateUserSchema = z.object({
  id: z.string().uuid('Unknown user.'),
  role: role.optional(),
  disabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const resetPasswordSchema = z.object({
  id: z.string().uuid('Unknown user.'),
  password,
});

export const changeOwnPasswordSchema = z
  .object({
    current: z.string().min(1, 'Enter your current password.'),
    password,
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords differ.' });
