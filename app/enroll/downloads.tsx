'use client';

import { useState } from 'react';
import type { DownloadRequest, EnrolledNode, OpenflRole } from '@/lib/enroll/kit';
import styles from './enroll.module.css';
import { saveFile, type Kit } from './kit';
import { PassphraseForm } from './passphrase-form';

export interface DownloadsProps {
  node: EnrolledNode;
  kit: Kit;
  /** Which side of the aggregator workflow the node is (names the files). */
  role: OpenflRole;
  onRole: (role: OpenflRole) => void;
  keySaved: boolean;
  onKeySaved: () => void;
}

/** Step 3: the bundles and files, all made here from the key that never left the page. */
export function Downloads({ node, kit, role, onRole: setRole, keySaved, onKeySaved }: DownloadsProps) {
  const name = node.token.claims.sub;
  const guessed = kit.guessRole(name, node.token.claims.sans);
  const stated = kit.roleFromToken(node.token.claims.role) ? node.token.claims.role : undefined;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [encryptKey, setEncryptKey] = useState(false);
  const file = kit.fileSafeName(name);
  const base = role === 'aggregator' ? `cert/server/agg_${kit.fileSafeName(name.toLowerCase())}` : `cert/client/col_${file}`;

  const download = async (id: string, req: DownloadRequest) => {
    setBusy(id);
    setError(undefined);
    try {
      const file = await kit.buildDownload(node, req);
      saveFile(file);
      if (file.containsKey) onKeySaved();
    } catch {
      setError('This file could not be made in this browser. Try again; if it fails again, try another download or another browser.');
    } finally {
      setBusy(undefined);
    }
  };

  const button = (id: string, label: string, req: DownloadRequest, primary = false) => (
    <button type="button" className={primary ? styles.primary : styles.secondary} disabled={busy !== undefined} onClick={() => void download(id, req)} data-download={id}>
      {busy === id ? 'Preparing…' : label}
    </button>
  );

  return (
    <div className={styles.downloads}>
      {!keySaved && (
        <p className={styles.warn} role="status">
          <strong>Save your private key now.</strong> It exists only in this page: once you leave, it is gone and you would need a new token. Download a
          bundle, the .p12 file or the key file.
        </p>
      )}
      {error && (
        <p role="alert" className={styles.fieldError}>
          {error}
        </p>
      )}

      <h3 className={styles.groupTitle}>Bundles for OpenFL</h3>
      <div className={styles.grid}>
        <div className={styles.card}>
          <h4 className={styles.cardTitle}>Director / Envoy workflow</h4>
          <p>
            The files <code>fx pki certify</code> writes: <code>cert/root_ca.crt</code>, <code>cert/{file}.crt</code> (certificate, then intermediate) and{' '}
            <code>cert/{file}.key</code>, for <code>fx envoy start</code> or <code>fx director start</code>.
          </p>
          {button('director-envoy', 'Download the Director/Envoy zip', { kind: 'director-envoy' }, true)}
        </div>
        <div className={styles.card}>
          <h4 className={styles.cardTitle}>Aggregator-based workflow</h4>
          <fieldset className={styles.choices}>
            <legend className={styles.label}>In this federation, {name} is</legend>
            <label className={styles.choice}>
              <input type="radio" name="role" value="collaborator" checked={role === 'collaborator'} onChange={() => setRole('collaborator')} />
              <span>a collaborator</span>
            </label>
            <label className={styles.choice}>
              <input type="radio" name="role" value="aggregator" checked={role === 'aggregator'} onChange={() => setRole('aggregator')} />
              <span>the aggregator</span>
            </label>
          </fieldset>
          <p className={styles.help}>
            {stated ? (
              <>Your administrator made this token for {stated === 'aggregator' || stated === 'director' ? 'the' : 'a'} {stated}.</>
            ) : (
              <>The token does not say; {guessed === 'aggregator' ? 'the name looks like a host name, so the aggregator is chosen' : 'a plain name suggests a collaborator'}.</>
            )}{' '}
            It only changes the file names.
          </p>
          <p>
            <code>cert/cert_chain.crt</code> (root, then intermediate), <code>{base}.crt</code> and <code>{base}.key</code>.
          </p>
          {button('aggregator', `Download the ${role} zip`, { kind: 'aggregator', role }, true)}
        </div>
      </div>

      <h3 className={styles.groupTitle}>PKCS#12 file (.p12)</h3>
      <div className={styles.card}>
        <PassphraseForm username={name} action={`Download ${file}.p12`} busy={busy === 'pkcs12'} onSubmit={(password) => download('pkcs12', { kind: 'pkcs12', password })}>
          <p>
            Key, certificate, intermediate and root in one file for browsers, key chains and Java key stores, encrypted here with your passphrase (AES-256,
            PBKDF2-SHA256). <code>openssl pkcs12 -info -in {file}.p12</code> opens it.
          </p>
        </PassphraseForm>
      </div>

      <h3 className={styles.groupTitle}>Single files (PEM)</h3>
      <div className={styles.card}>
        <div className={styles.row}>
          {button('certificate', `${file}.crt (certificate + intermediate)`, { kind: 'certificate' })}
          {button('root', 'root_ca.crt', { kind: 'root' })}
        </div>
        <label className={styles.choice}>
          <input type="checkbox" checked={encryptKey} onChange={(e) => setEncryptKey(e.target.checked)} />
          <span>Encrypt the private key with a passphrase (PKCS#8)</span>
        </label>
        {encryptKey ? (
          <PassphraseForm username={name} action={`Download ${file}.key (encrypted)`} busy={busy === 'key'} onSubmit={(password) => download('key', { kind: 'key', password })}>
            <p className={styles.help}>
              OpenSSL opens it with <code>openssl pkey -in {file}.key</code>; OpenFL needs it decrypted first.
            </p>
          </PassphraseForm>
        ) : (
          <div className={styles.row}>{button('key', `${file}.key (private key, not encrypted)`, { kind: 'key' })}</div>
        )}
      </div>
    </div>
  );
}
