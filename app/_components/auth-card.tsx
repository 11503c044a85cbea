import type { ReactNode } from 'react';

/** The one-card page of a visitor without a session (sign-in, not found): brand, a panel, then notes under it. */
export function AuthCard({ children, footer }: { children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand-line">
          <span className="brand-mark" aria-hidden="true" />
          FedPKI
        </div>
        <div className="panel">{children}</div>
        {footer}
      </div>
    </main>
  );
}
