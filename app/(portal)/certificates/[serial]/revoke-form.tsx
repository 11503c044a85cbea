'use client';

import { useActionState, useState } from 'react';
import { useConfirmStep } from '@/app/_components/focus';
import { FormAlert, SubmitButton } from '@/app/_components/form';
import { revokeCertificateAction } from './actions';

export interface ReasonChoice {
  code: number;
  label: string;
  /** What the reason means for a node, shown beside it. */
  hint?: string;
}

/**
 * Two steps: choose the reason (and an optional note), then confirm with the
 * certificate's name on the button. Only the second step sends `confirm=yes`, which
 * the action requires. On success the page re-renders as revoked and this form goes.
 *
 * The first step never reaches the server: Enter in the note goes to the question,
 * as the "Revoke…" button does (a submitted first step would come back refused, and
 * React's reset of the form would show a reason other than the one held). Focus
 * follows: to the question, and back to "Revoke…" on "Go back".
 */
export function RevokeForm({ serial, commonName, reasons }: { serial: string; commonName: string; reasons: ReasonChoice[] }) {
  const [state, action] = useActionState(revokeCertificateAction, null);
  const { confirming, ask, back, question, start } = useConfirmStep<HTMLDivElement>();
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [missing, setMissing] = useState(false);
  const fieldErrors = state?.fieldErrors ?? {};
  const reasonError = missing ? 'Choose a reason.' : fieldErrors.reasonCode?.[0];
  const chosen = reasons.find((r) => String(r.code) === reason);

  if (state?.data?.alreadyRevoked) {
    return (
      <form className="form" aria-label="Revoke this certificate">
        <div className="callout error" role="alert">
          <p>{state.error}</p>
          <a href={`/certificates/${serial}`}>Show its revocation</a>
        </div>
      </form>
    );
  }

  return (
    <form
      action={action}
      className="form"
      aria-label="Revoke this certificate"
      onSubmit={(e) => {
        if (confirming) return;
        e.preventDefault();
        if (!reason) setMissing(true);
        else ask();
      }}
    >
      <FormAlert error={state?.error} />
      <input type="hidden" name="serial" value={serial} />
      {confirming ? (
        <>
          <input type="hidden" name="reasonCode" value={reason} />
          <input type="hidden" name="note" value={note} />
          <input type="hidden" name="confirm" value="yes" />
          <div className="callout error" ref={question} tabIndex={-1}>
            <p>
              Revoke <strong className="break">{commonName}</strong> for <strong>{chosen?.label}</strong>?
            </p>
            {note.trim() && <p className="small break">Note: {note.trim()}</p>}
            <p className="small">This cannot be undone.</p>
          </div>
          <div className="form-actions">
            <SubmitButton className="button danger" pendingText="Revoking…">
              Yes, revoke {commonName}
            </SubmitButton>
            <button type="button" className="button secondary" onClick={back}>
              Go back
            </button>
          </div>
        </>
      ) : (
        <>
          <div className="field">
            <label htmlFor="revoke-reason">Reason</label>
            <select
              id="revoke-reason"
              name="reasonCode"
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
                setMissing(false);
              }}
              aria-invalid={Boolean(reasonError)}
              aria-describedby={reasonError ? 'revoke-reason-error' : undefined}
            >
              <option value="">Choose a reason…</option>
              {reasons.map((r) => (
                <option key={r.code} value={r.code}>
                  {r.hint ? `${r.label} — ${r.hint}` : r.label}
                </option>
              ))}
            </select>
            {reasonError && (
              <span className="field-error" id="revoke-reason-error" role="alert">
                {reasonError}
              </span>
            )}
          </div>
          <div className="field">
            <label htmlFor="revoke-note">Note (optional)</label>
            <input
              id="revoke-note"
              name="note"
              type="text"
              maxLength={500}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              aria-describedby="revoke-note-hint"
              aria-invalid={Boolean(fieldErrors.note)}
            />
            <span className="hint" id="revoke-note-hint">
              Kept in the audit log, not published in the CRL.
            </span>
            {fieldErrors.note?.[0] && (
              <span className="field-error" role="alert">
                {fieldErrors.note[0]}
              </span>
            )}
          </div>
          <div className="form-actions">
            <button type="submit" className="button danger" ref={start}>
              Revoke…
            </button>
          </div>
        </>
      )}
    </form>
  );
}
