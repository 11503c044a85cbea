import type { Metadata, Viewport } from 'next';
import { headers } from 'next/headers';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'FedPKI', template: '%s · FedPKI' },
  description: 'Certificate authority for federated-learning federations',
  referrer: 'no-referrer',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Reading the request makes every page dynamic, so each gets the CSP nonce proxy.ts
  // generated for it (a prerendered page would carry none and its scripts would be blocked).
  await headers();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
