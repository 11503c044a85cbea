'use client';

/**
 * Form building blocks. `useValidatedForm` checks the form with the same zod schema
 * the server action uses before sending it, so a browser shows the server's rules
 * without a round trip; the action checks again (and is the one that counts). Errors
 * appear next to the field that caused them, and focus moves to the first one.
 */

import { startTransition, useActionState, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useFormStatus } from 'react-dom';
import { z } from '@/app/_lib/zod';
import type { ActionState } from '@/app/_lib/action-state';
import { formObject } from '@/app/_lib/form-data';

export type FieldErrors = Record<string, string[] | undefined>;

export function useValidatedForm<T>(
  schema: z.ZodType,
  action: (prev: ActionState<T> | null, formData: FormData) => Promise<ActionState<T>>,
  options: { resetOnSuccess?: boolean } = {},
) {
  const [state, formAction, pending] = useActionState(action, null);
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const errors: FieldErrors = clientErrors ?? state?.fieldErrors ?? {};

  useEffect(() => {
    if (state?.fieldErrors) focusFirstInvalid(formRef.current);
    if (state?.ok && options.resetOnSuccess) formRef.current?.reset();
  }, [state, options.resetOnSuccess]);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const parsed = schema.safeParse(formObject(data));
    if (!parsed.success) {
      setClientErrors(z.flattenError(parsed.error).fieldErrors as FieldErrors);
      requestAnimationFrame(() => focusFirstInvalid(form));
      return;
    }
    setClientErrors(null);
    startTransition(() => formAction(data));
  }

  return {
    state,
    pending,
    errors,
    /** Props for the <form>. Without JavaScript the browser would post it natively, but under Referrer-Policy: no-referrer it sends `Origin: null`, which the Origin check refuses: the portal needs JavaScript. */
    formProps: { ref: formRef, action: formAction, onSubmit, noValidate: true },
    error: clientErrors ? 'Some fields need attention.' : state?.error,
  };
}

function focusFirstInvalid(form: HTMLFormElement | null) {
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

interface FieldProps {
  label: string;
  name: string;
  errors?: FieldErrors;
  hint?: ReactNode;
  children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}

/** A labelled control with its hint and its error right below it. */
export function Field({ label, name, errors, hint, children }: FieldProps) {
  const id = useId();
  const messages = errors?.[name];
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = messages?.length ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': Boolean(messages?.length), 'aria-describedby': describedBy })}
      {hint && (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      )}
      {messages?.length ? (
        <span className="field-error" id={errorId} role="alert">
          {messages[0]}
        </span>
      ) : null}
    </div>
  );
}

/** The error of a control laid out by hand; give the control `aria-describedby={fieldMessageId(name)}` while it shows. */
export function FieldMessage({ name, errors }: { name: string; errors?: FieldErrors }) {
  const messages = errors?.[name];
  return messages?.length ? (
    <span className="field-error" id={fieldMessageId(name)} role="alert">
      {messages[0]}
    </span>
  ) : null;
}

export function fieldMessageId(name: string): string {
  return `${name}-error`;
}

export function FormAlert({ error, id }: { error?: string; id?: string }) {
  if (!error) return null;
  return (
    <div className="callout error" role="alert" id={id}>
      {error}
    </div>
  );
}

export function SubmitButton({ children, pendingText, className = 'button' }: { children: ReactNode; pendingText?: string; className?: string }) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" className={className} disabled={pending} aria-disabled={pending}>
      {pending ? (pendingText ?? 'Working…') : children}
    </button>
  );
}
