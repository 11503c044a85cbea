'use client';

import { useState } from 'react';
import { describePublicKey } from '@/lib/pki/spki';
import { exportPkcs8, KEY_SPECS } from '@/lib/pki/keys';
import { privateKeyToPem } from '@/lib/pki/private-key';
import { loadCredentials, prepareRekey, renewalToken, verifyRenewal, type Credentials, type VerifiedRenewal } from '@/lib/enroll/renew';
import type { SignResponse } from '@/lib/enroll/client';
import { fileSafeName } from '@/lib/enroll/file-name';
import { formatDateTime } from '@/app/_components/format';
import styles from './renew.module.css';

type Phase = { kind: 'idle' } | { kind: 'working'; step: string } | { kind: 'done'; result: VerifiedRenewal; keyPem?: string } | { kind: 'error'; message: string };

/** A link that saves `text` as a file; built from a data: URL, so nothing is fetched. */
function Download({ name, text, label }: { name: string; text: string; label: string }) {
  const href = `data:application/x-pem-file;charset=utf-8,${encodeURIComponent(text)}`;
  return (
    <a className={styles.download} href={href} download={name} data-testid={`download-${name}`}>
      {label} <span className="mono">{name}</span>
    </a>
  );
}

export function RenewForm() {
  const [files, setFiles] = useState<{ cert?: string; key?: string }>({});
  const [creds, setCreds] = useState<Credentials & { expired: boolean }>();
  const [checkError, setCheckError] = useState<string>();
  const [rekey, setRekey] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  /** Changed to remount the file inputs: a file input cannot be emptied otherwise. */
  const [round, setRound] = useState(0);

  /** Reads the chosen file here (FileReader; nothing is uploaded) and checks the pair once both are chosen. */
  const read = (which: 'cert' | 'key') => async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    const next = { ...files, [which]: file ? await file.text() : undefined };
    setFiles(next);
    setPhase({ kind: 'idle' });
    setCreds(undefined);
    setCheckError(undefined);
    if (!next.cert || !next.key) return;
    try {
      const loaded = await loadCredentials(next.cert, next.key);
      setCreds({ ...loaded, expired: loaded.leaf.notAfter.getTime() < Date.now() });
    } catch (err) {
      setCheckError((err as Error).message);
    }
  };

  async function renew() {
    if (!creds) return;
    try {
      const origin = window.location.origin;
      let newKey: Awaited<ReturnType<typeof prepareRekey>> | undefined;
      if (rekey) {
        setPhase({ kind: 'working', step: 'Making a new key pair in this browser…' });
        newKey = await prepareRekey(creds);
      }
      setPhase({ kind: 'working', step: 'Signing the renewal proof with your current key…' });
      const token = await renewalToken(creds, origin, newKey?.csrDer);
      setPhase({ kind: 'working', step: 'Asking the certificate authority…' });
      const res = await fetch(rekey ? '/rekey' : '/renew', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, ...(newKey ? { 'Content-Type': 'application/json' } : {}) },
        body: newKey ? JSON.stringify({ csr: newKey.csrPem }) : '',
        cache: 'no-store',
        credentials: 'omit',
      });
      const body = (await res.json().catch(() => ({}))) as SignResponse & { message?: string };
      if (!res.ok) throw new Error(body.message ?? `The certificate authority answered ${res.status}.`);
      setPhase({ kind: 'working', step: 'Checking the new certificate…' });
      const expected = newKey?.spki ?? creds.leaf.publicKey.der;
      const result = await verifyRenewal(creds, body, expected);
      const keyPem = newKey ? privateKeyToPem(await exportPkcs8(newKey.keys.privateKey), creds.key.format) : undefined;
      setPhase({ kind: 'done', result, keyPem });
    } catch (e) {
      setPhase({ kind: 'error', message: (e as Error).message || 'The renewal failed.' });
    }
  }

  /** Starts over with no files chosen; the certificate just issued stays valid. */
  function again() {
    setFiles({});
    setCreds(undefined);
    setCheckError(undefined);
    setRekey(false);
    setPhase({ kind: 'idle' });
    setRound((n) => n + 1);
  }

  const busy = phase.kind === 'working';
  // Once renewed, the same files would only get yet another certificate: the form stays
  // as it was, read-only, until "Renew another certificate" empties it.
  const done = phase.kind === 'done';
  const cn = creds?.leaf.subject.commonName ?? '';
  const expired = creds?.expired ?? false;

  return (
    <div className="panel">
      <div className={styles.files} key={round}>
        <label className={styles.field}>
          <span>Certificate file</span>
          <input type="file" accept=".crt,.pem,.cer" onChange={read('cert')} disabled={busy || done} data-testid="cert-file" />
          <small className="muted">NAME.crt, as enrollment wrote it (PEM)</small>
        </label>
        <label className={styles.field}>
          <span>Key file</span>
          <input type="file" accept=".key,.pem" onChange={read('key')} disabled={busy || done} data-testid="key-file" />
          <small className="muted">NAME.key: PKCS#8, EC or RSA PEM; read here only</small>
        </label>
      </div>

      {checkError && (
        <p role="alert" className={styles.error} data-testid="check-error">
          {checkError}
        </p>
      )}

      {creds && (
        <dl className={styles.summary} data-testid="summary">
          <dt>Name</dt>
          <dd>{cn}</dd>
          <dt>Serial</dt>
          <dd className="mono">{creds.leaf.serialNumber}</dd>
          <dt>Valid until</dt>
          <dd>
            {formatDateTime(creds.leaf.notAfter)}
            {expired && <strong className={styles.warn}> (expired)</strong>}
          </dd>
          <dt>Key</dt>
          <dd>
            {describePublicKey(creds.leaf.publicKey)} — matches the certificate <span className={styles.ok}>✓</span>
          </dd>
        </dl>
      )}

      <fieldset className={styles.choice} disabled={!creds || busy || done}>
        <legend>Key</legend>
        <label>
          <input type="radio" name="mode" checked={!rekey} onChange={() => setRekey(false)} /> Keep the current key
        </label>
        <label>
          <input type="radio" name="mode" checked={rekey} onChange={() => setRekey(true)} data-testid="rekey" /> Make a new key in this browser
          {creds && ` (${KEY_SPECS[creds.key.spec].label})`}
        </label>
      </fieldset>

      {!done && (
        <button type="button" className={styles.button} onClick={renew} disabled={!creds || busy} data-testid="renew">
          {rekey ? 'Renew with a new key' : 'Renew certificate'}
        </button>
      )}

      <div aria-live="polite">
        {phase.kind === 'working' && <p className="muted">{phase.step}</p>}
        {phase.kind === 'error' && (
          <p role="alert" className={styles.error} data-testid="error">
            {phase.message}
          </p>
        )}
        {phase.kind === 'done' && (
          <div className={styles.done} data-testid="done">
            <p>
              <strong>Renewed.</strong> New serial <span className="mono" data-testid="new-serial">{phase.result.serialNumber}</span>, valid until{' '}
              {formatDateTime(phase.result.notAfter)}. The certificate was checked here: same names, {phase.keyPem ? 'the new key' : 'your key'}, the same issuer.
            </p>
            <div className={styles.downloads}>
              <Download name={`${fileSafeName(cn)}.crt`} text={phase.result.chainPem} label="Certificate chain" />
              {phase.keyPem && <Download name={`${fileSafeName(cn)}.key`} text={phase.keyPem} label="New private key" />}
            </div>
            {phase.keyPem && <p className={styles.warn}>Save the new key now and keep it private: it exists only in this page and is lost when you leave.</p>}
            <div className={styles.again}>
              <p className="muted">This certificate is renewed: sending the same files again would only issue one more. To renew a different one, start over.</p>
              <button type="button" className={styles.secondary} onClick={again} data-testid="renew-another">
                Renew another certificate
              </button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
