'use client';

import styles from './enroll.module.css';

/** Shown where the browser withholds WebCrypto: plain http on an address that is not localhost. */
export function NoWebCrypto() {
  const { host, hostname, port, protocol } = window.location;
  const remotePort = port || (protocol === 'https:' ? '443' : '80');
  return (
    <div role="alert" className={styles.refusal} data-code="no_webcrypto">
      <p className={styles.refusalTitle}>This browser will not make keys on this page.</p>
      <p>
        Browsers allow the cryptography this page needs only on secure pages: addresses that start with <code>https://</code>, or{' '}
        <code>http://localhost</code> on your own computer. This page was opened at <code>{`${protocol}//${host}`}</code>, which is neither.
      </p>
      <p>What you can do:</p>
      <ul>
        <li>
          Open the <code>https://</code> address of your FedPKI server instead — ask your administrator for it.
        </li>
        <li>
          Or reach the server through an SSH tunnel, so that it is <code>localhost</code> to your browser:
          <pre className={styles.command}>
            <code>{`ssh -N -L 9123:localhost:${remotePort} you@${hostname}`}</code>
          </pre>
          then open <code>http://localhost:9123/enroll</code>.
        </li>
        <li>
          Or, on a machine without a browser, use the command line: <code>fedpki certify -n NAME -t TOKEN</code> (or <code>fx pki certify</code>).
        </li>
      </ul>
    </div>
  );
}
