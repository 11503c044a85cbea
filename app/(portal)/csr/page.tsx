import type { Metadata } from 'next';
import { can } from '@/lib/auth/roles';
import { requireUser } from '@/app/_lib/auth';
import { runtime } from '@/app/_lib/runtime';
import { CsrSigner } from './csr-form';

export const metadata: Metadata = { title: 'Sign a CSR' };

export default async function CsrPage() {
  const user = await requireUser();
  const rt = runtime();
  const federations = (await rt.queries.listFederationSummaries())
    .filter((f) => f.status === 'active')
    .map((f) => ({ id: f.id, name: f.name, defaultCertDays: Math.round(f.defaultCertSeconds / 86_400) }));
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Sign a CSR</h1>
          <p>OpenFL&apos;s manual workflow: a node makes its own key and request, you compare the request&apos;s hash with its owner and sign it here.</p>
        </div>
      </div>
      <section className="panel narrow-panel">
        {!can(user.role, 'csr:sign') ? (
          <p className="muted">Your role ({user.role}) can view certificates but not sign requests.</p>
        ) : federations.length === 0 ? (
          <p className="muted">Every federation is disabled: enable one to sign requests.</p>
        ) : (
          <CsrSigner federations={federations} />
        )}
      </section>
    </>
  );
}
