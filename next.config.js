// @ts-check
/**
 * FedPKI runs Next.js behind its own HTTPS server (server/main.ts), which serves the
 * step-ca compatible API at the origin root and hands every other request to Next.
 * All database and CA work happens in that server; Next code reaches it through the
 * runtime registered on globalThis, so nothing native is bundled here.
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // The custom server sets the security headers that apply to every response
  // (server/security-headers.ts); the per-request CSP nonce comes from proxy.ts.
  serverExternalPackages: ['better-sqlite3'],
  // The build type-checks the project (npm run typecheck does the same alone).
  typescript: { ignoreBuildErrors: process.env.FEDPKI_NEXT_SKIP_TYPECHECK === '1' },
  experimental: {
    serverActions: { bodySizeLimit: '2mb' },
  },
};

export default nextConfig;
