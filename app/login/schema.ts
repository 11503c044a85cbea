import { z } from '@/app/_lib/zod';

export const signInSchema = z.object({
  username: z.string().trim().min(1, 'Enter your user name.').max(64, 'A user name has at most 64 characters.'),
  password: z.string().min(1, 'Enter your password.').max(1024, 'That is too long to be a password.'),
});
