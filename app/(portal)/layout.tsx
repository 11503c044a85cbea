import Link from 'next/link';
import { requireUser } from '@/app/_lib/auth';
import { SiteNav, type NavItem } from '@/app/_components/nav';
import { SignOutButton } from '@/app/_components/sign-out-button';

export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  const items: NavItem[] = [
    { href: '/', label: 'Dashboard' },
    { href: '/federations', label: 'Federations' },
    { href: '/tokens', label: 'Tokens' },
    { href: '/certificates', label: 'Certificates' },
    { href: '/csr', label: 'Sign a CSR' },
    { href: '/audit', label: 'Audit log' },
    { href: '/users', label: 'Users' },
    { href: '/settings', label: 'Settings' },
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="site-header-inner">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true" />
            FedPKI
          </Link>
          <SiteNav items={items} />
          <div className="user-menu">
            <Link href="/account" className="who" title="Your account">
              {user.displayName ?? user.username}
            </Link>
            <span className="role" title="Your role">
              {user.role}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
