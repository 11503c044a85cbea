import type { Metadata } from 'next';
import Link from 'next/link';
import { RenewForm } from './renew-form';
import styles from './renew.module.css';

export const metadata: Metadata = { title: 'Renew a certificate' };

/**
 * Public: the certificate itself is the credential. The page reads the certificate
 * and key files in the browser, signs a short-lived renewal token with the current key
 * (and, to rekey, a CSR with a new key made here) and posts only those.
 */
export default function RenewPage() {
  return (
    <main className="narrow">
      <h1>Renew a certificate</h1>
      <p className={styles.lead}>
        Choose the certificate you want to renew and its key. Both are read in this browser: the key only signs a one-time proof here and never leaves it.
        The new certificate keeps the names of the current one; the current one stays valid until it expires.
      </p>
      <RenewForm />
      <p className="muted">
        On a server, <code>fedpki renew -c NAME.crt -k NAME.key --ca-url HOST:PORT</code> does the same over mutual TLS. No certificate yet?{' '}
        <Link href="/enroll">Enroll with a token</Link>.
      </p>
    </main>
  );
}
