import type { Metadata } from 'next';
import { connection } from 'next/server';
import { EnrollFlow } from './enroll-flow';
import styles from './enroll.module.css';

export const metadata: Metadata = {
  title: 'Enroll a node',
  description: 'Get a certificate for an OpenFL node with a one-time token; the key is made in your browser and never leaves it.',
};

/**
 * The enrollment page. It reads nothing from the server: the token is pasted (or in
 * the URL fragment, which browsers never send) and everything happens in the client
 * component. Rendered per request so that proxy.ts's CSP nonce reaches its scripts.
 */
export default async function EnrollPage() {
  await connection();
  return (
    <main className={styles.main}>
      <h1 className={styles.title}>Enroll a node</h1>
      <p className={styles.lead}>
        Get a certificate for your OpenFL node with the token your administrator sent you. Your private key is made in this browser and{' '}
        <strong>never leaves it</strong>: the certificate authority receives only a certificate request and the token.
      </p>
      <EnrollFlow />
    </main>
  );
}
