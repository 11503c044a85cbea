import type { OpenflRole } from '@/lib/enroll/kit';
import styles from './enroll.module.css';

/**
 * Where the files go and the `fx` commands that read them, for the side the node is
 * on (a director or aggregator when `role` is 'aggregator', else an envoy or collaborator),
 * the workflow the token's role runs opened first (the Director/Envoy one when it names none).
 */
export function WhatNext({ name, file, role, workflow }: { name: string; file: string; role: OpenflRole; workflow?: 'director-envoy' | 'aggregator' }) {
  const server = role === 'aggregator';
  const certFlags = `  -rc cert/root_ca.crt \\\n  -oc cert/${file}.crt \\\n  -pk cert/${file}.key`;
  return (
    <div className={styles.next}>
      <h3 className={styles.groupTitle}>What next</h3>
      <p>
        Unzip the bundle in the folder you start OpenFL from: it creates (or adds to) a <code>cert/</code> folder there. Then delete the zip, and keep the key
        readable only by you: <code>chmod 600 cert/*.key cert/*/*.key</code>.
      </p>
      <details className={styles.details} open={workflow !== 'aggregator'}>
        <summary>Director / Envoy workflow</summary>
        {server ? (
          <>
            <p>Start the director with its certificate (it must name the host envoys connect to):</p>
            <pre className={styles.command}>
              <code>{`fx director start -c director.yaml \\\n${certFlags}`}</code>
            </pre>
          </>
        ) : (
          <>
            <p>Start the envoy under the name in the certificate:</p>
            <pre className={styles.command}>
              <code>{`fx envoy start -n ${name} \\\n  -ec envoy_config.yaml \\\n  -dh DIRECTOR_FQDN -dp 50051 \\\n${certFlags}`}</code>
            </pre>
          </>
        )}
      </details>
      <details className={styles.details} open={workflow === 'aggregator'}>
        <summary>Aggregator-based workflow</summary>
        <p>
          Unzip the aggregator-workflow bundle inside the workspace (the folder that holds <code>plan/</code>).
        </p>
        {server ? (
          <>
            <p>
              The aggregator reads <code>cert/server/agg_{file.toLowerCase()}.crt</code>, so its name must be the plan’s <code>agg_addr</code>:
            </p>
            <pre className={styles.command}>
              <code>fx aggregator start</code>
            </pre>
          </>
        ) : (
          <>
            <p>
              Start the collaborator under its name, which must be listed in <code>plan/cols.yaml</code>:
            </p>
            <pre className={styles.command}>
              <code>{`fx collaborator start -n ${name}`}</code>
            </pre>
          </>
        )}
        <p>
          Every node of the federation must trust this certificate authority’s <code>cert/cert_chain.crt</code>, not one made by{' '}
          <code>fx workspace certify</code>.
        </p>
      </details>
      <details className={styles.details}>
        <summary>About the key file</summary>
        <p>
          The key is written as <code>fx pki certify</code> writes it: <code>EC PRIVATE KEY</code> (SEC1) for ECDSA, <code>RSA PRIVATE KEY</code> (PKCS#1) for
          RSA, not encrypted, because OpenFL reads it without a passphrase. The encrypted single file is PKCS#8 (<code>ENCRYPTED PRIVATE KEY</code>);
          decrypt it for OpenFL with <code>openssl pkey -in {file}.key -out {file}.plain.key</code>.
        </p>
      </details>
    </div>
  );
}
