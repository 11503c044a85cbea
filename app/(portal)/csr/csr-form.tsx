'use client';

import { useState } from 'react';
import Link from 'next/link';
import { CopyButton } from '@/app/_components/copy-button';
import { CertValidityField, FederationSelectField, type FederationChoice } from '@/app/_components/federation-fields';
import { focusOnMount } from '@/app/_components/focus';
import { Field, FieldMessage, FormAlert, fieldMessageId, useValidatedForm } from '@/app/_components/form';
import { signedCertPath, signedPackageName } from '@/lib/openfl/manual';
import { inspectCsrAction, signCsrAction, type InspectedCsr, type SignedCsr } from './actions';
import { CSR_ROLES, inspectCsrSchema, signCsrSchema } from './schema';

/** Read → compare the hash → sign → download, as OpenFL's manual workflow goes. */
export function CsrSigner({ federations }: { federations: FederationChoice[] }) {
  const inspect = useValidatedForm(inspectCsrSchema, inspectCsrAction);
  const [reset, setReset] = useState<unknown>();
  const inspected = inspect.state?.data && inspect.state !== reset ? inspect.state.data : undefined;

  if (!inspected) {
    return (
      <form className="form" {...inspect.formProps} aria-label="Read a certificate request">
        <FormAlert error={inspect.error} />
        <Field
          label="Request file"
          name="csrFile"
          errors={inspect.errors}
          hint={
            <>
              The <code>col_NAME_to_agg_cert_request.zip</code> that <code>fx collaborator generate-cert-request</code> made, or a .csr file.
            </>
          }
        >
          {/* Back from a signed or refused request, the button pressed is gone: the
              focus starts the next request. Not on the page's first load. */}
          {(p) => <input {...p} ref={reset === undefined ? undefined : focusOnMount} type="file" accept=".zip,.csr,.pem,.req,application/zip,application/pkcs10" />}
        </Field>
        <div className="divider">or</div>
        <Field label="Paste a PEM CSR" name="csrText" errors={inspect.errors}>
          {(p) => <textarea {...p} rows={8} spellCheck={false} placeholder={'-----BEGIN CERTIFICATE REQUEST-----\n…\n-----END CERTIFICATE REQUEST-----'} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="button" disabled={inspect.pending}>
            {inspect.pending ? 'Reading…' : 'Read request'}
          </button>
        </div>
      </form>
    );
  }
  return <SignStep inspected={inspected} federations={federations} onBack={() => setReset(inspect.state)} />;
}

function SignStep({ inspected, federations, onBack }: { inspected: InspectedCsr; federations: FederationChoice[]; onBack: () => void }) {
  const sign = useValidatedForm(signCsrSchema, signCsrAction);
  const [federationId, setFederationId] = useState(federations[0]?.id ?? '');
  const fed = federations.find((f) => f.id === federationId);
  const signed = sign.state?.data;
  if (signed) return <Signed signed={signed} onAnother={onBack} />;
  const blocked = !inspected.commonName;
  if (inspected.refusal) {
    return (
      <div className="stack">
        <RequestDetails inspected={inspected} />
        <div className="callout error" role="alert">
          This CSR cannot be signed: {inspected.refusal}
        </div>
        <div className="form-actions">
          <button type="button" className="button secondary" onClick={onBack}>
            Choose another request
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="stack">
      <RequestDetails inspected={inspected} />
      {inspected.notes.map((n) => (
        <div key={n} className="callout warn">
          {n}
        </div>
      ))}
      <form className="form" {...sign.formProps} aria-label="Sign the request">
        <FormAlert error={sign.error} />
        <input type="hidden" name="csr" value={inspected.csr} />
        <input type="hidden" name="packaged" value={inspected.packaged} />
        <div className="form-row">
          <FederationSelectField federations={federations} value={federationId} onChange={setFederationId} errors={sign.errors} />
          <Field label="Role" name="role" errors={sign.errors}>
            {(p) => (
              <select {...p} defaultValue={inspected.commonName.includes('.') && inspected.packaged === 'pem' ? 'aggregator' : 'collaborator'}>
                {CSR_ROLES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <CertValidityField label="Validity (days)" federation={fed} errors={sign.errors} />
        </div>
        <div className="field">
          <label className="checkbox">
            <input
              type="checkbox"
              name="confirmHash"
              value="yes"
              aria-invalid={Boolean(sign.errors.confirmHash?.length)}
              aria-describedby={sign.errors.confirmHash?.length ? fieldMessageId('confirmHash') : undefined}
            />
            The requester read me this same SHA-384 hash, over a channel I trust.
          </label>
          <FieldMessage name="confirmHash" errors={sign.errors} />
        </div>
        <div className="form-actions">
          <button type="submit" className="button" disabled={sign.pending || blocked}>
            {sign.pending ? 'Signing…' : `Sign for ${inspected.commonName || '…'}`}
          </button>
          <button type="button" className="button secondary" onClick={onBack}>
            Choose another request
          </button>
        </div>
      </form>
    </div>
  );
}

/** What the request asks for; its hash only when it can be signed (the hash is what the signer confirms). */
function RequestDetails({ inspected }: { inspected: InspectedCsr }) {
  return (
    <section aria-labelledby="request">
      <h3 id="request" ref={focusOnMount} tabIndex={-1}>
        The request
      </h3>
      <dl className="fields">
        {inspected.fileName && (
          <>
            <dt>File</dt>
            <dd className="break">{inspected.fileName}</dd>
          </>
        )}
        <dt>Subject</dt>
        <dd className="break">{inspected.subject || '—'}</dd>
        <dt>Alternative names</dt>
        <dd className="break">{inspected.sans.join(', ') || '—'}</dd>
        <dt>Key</dt>
        <dd>{inspected.key}</dd>
        <dt>Signed with</dt>
        <dd>{inspected.signatureAlgorithm}</dd>
        {!inspected.refusal && (
          <>
            <dt>SHA-384 hash</dt>
            <dd>
              <code className="break" data-testid="csr-hash">
                {inspected.sha384}
              </code>{' '}
              <CopyButton text={inspected.sha384} label="Copy hash" />
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Signed({ signed, onAnother }: { signed: SignedCsr; onAnother: () => void }) {
  const base = `/api/certificates/${signed.serial}`;
  const zip = signedPackageName(signed.commonName, signed.role);
  const certPath = signedCertPath(signed.commonName, signed.role);
  return (
    <div className="stack">
      <div className="callout ok" ref={focusOnMount} tabIndex={-1}>
        Signed: <Link href={`/certificates/${signed.serial}`}>{signed.commonName}</Link> now has a certificate (serial <span className="mono">{signed.serial.slice(0, 16)}…</span>).
      </div>
      {signed.packaged === 'zip' ? (
        <>
          {signed.role === 'aggregator' ? (
            <p>
              This file holds <code>{certPath}</code> and <code>cert_chain.crt</code>: unpack it into the aggregator workspace&apos;s <code>cert/</code> folder, beside the{' '}
              <code>server/agg_{signed.commonName.toLowerCase()}.key</code> that <code>fx aggregator generate-cert-request</code> made.
            </p>
          ) : (
            <>
              <p>
                Send this file back to the collaborator. It holds <code>{certPath}</code> and <code>cert_chain.crt</code>; they import it with:
              </p>
              <div className="command-row">
                <pre className="command">fx collaborator certify --import {zip}</pre>
              </div>
            </>
          )}
          <div className="form-actions">
            <a className="button" href={`${base}/openfl.zip`} download={zip}>
              Download {zip}
            </a>
          </div>
        </>
      ) : (
        <div className="form-actions">
          <a className="button" href={`${base}/certificate.crt`} download>
            Download certificate
          </a>
          <a className="button secondary" href={`${base}/fullchain.crt`} download>
            With chain
          </a>
          <a className="button secondary" href={`/api/federations/${signed.federationId}/cert_chain.crt`} download>
            cert_chain.crt
          </a>
          {/* fx aggregator generate-cert-request makes a bare .csr; the answer OpenFL's
              workspace takes is still the zip with server/agg_<fqdn>.crt. */}
          {signed.role === 'aggregator' && (
            <a className="button secondary" href={`${base}/openfl.zip`} download={zip}>
              {zip}
            </a>
          )}
        </div>
      )}
      <p className="small muted">
        The aggregator admits collaborators listed in plan/cols.yaml: <a href={`/api/federations/${signed.federationId}/cols.yaml`}>export it</a>.
      </p>
      <div className="form-actions">
        <button type="button" className="button secondary" onClick={onAnother}>
          Sign another request
        </button>
      </div>
    </div>
  );
}
