'use client';

import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { signIn } from 'next-auth/react';
import { z } from '@/app/_lib/zod';
import { Field, FormAlert } from '@/app/_components/form';
import { signInMessage } from './messages';
import { signInSchema } from './schema';

export function LoginForm({ callbackUrl, initialError, ssoName }: { callbackUrl: string; initialError?: string; ssoName?: string }) {
  const [error, setError] = useState<string | undefined>(initialError);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[] | undefined>>({});
  const [pending, setPending] = useState(false);
  // Until React runs, a submit would be a plain form post: keep the button off so the
  // password can never leave in a URL or an unhandled request.
  const hydrated = useSyncExternalStore(
    () => () => undefined,
    () => true,
    () => false,
  );

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = Object.fromEntries(new FormData(form));
    const parsed = signInSchema.safeParse(data);
    if (!parsed.success) {
      setFieldErrors(z.flattenError(parsed.error).fieldErrors);
      setError(undefined);
      // After React has marked the fields (aria-invalid), as useValidatedForm does.
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setFieldErrors({});
    setError(undefined);
    setPending(true);
    const result = await signIn('credentials', { ...parsed.data, redirect: false, callbackUrl }).catch(() => undefined);
    if (result?.ok && !result.error) {
      window.location.assign(callbackUrl);
      return;
    }
    setPending(false);
    setError(signInMessage(result?.error ?? 'unknown'));
    const password = form.elements.namedItem('password') as HTMLInputElement | null;
    if (password) {
      password.value = '';
      password.focus();
    }
  }

  return (
    <>
      <form className="form" method="post" onSubmit={onSubmit} noValidate aria-label="Sign in">
        <FormAlert error={error} id="sign-in-error" />
        <Field label="User name" name="username" errors={fieldErrors}>
          {(p) => <input {...p} type="text" autoComplete="username" autoCapitalize="none" spellCheck={false} required autoFocus />}
        </Field>
        <Field label="Password" name="password" errors={fieldErrors}>
          {/* After a refused sign-in the focus comes here, and the refusal is read with it. */}
          {(p) => <input {...p} aria-describedby={[p['aria-describedby'], error && 'sign-in-error'].filter(Boolean).join(' ') || undefined} type="password" autoComplete="current-password" required />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="button" disabled={pending || !hydrated}>
            {pending ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      {ssoName && (
        <>
          <div className="divider">or</div>
          <button type="button" className="button secondary full" onClick={() => void signIn('oidc', { callbackUrl })}>
            Sign in with {ssoName}
          </button>
        </>
      )}
    </>
  );
}
