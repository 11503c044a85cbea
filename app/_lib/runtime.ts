import 'server-only';
import type { Runtime } from '@/server/runtime';

/** The running FedPKI server (see server/runtime.ts). */
export function runtime(): Runtime {
  const rt = (globalThis as Record<symbol, unknown>)[Symbol.for('fedpki.runtime')] as Runtime | undefined;
  if (!rt) throw new Error('The FedPKI runtime is not started: run FedPKI with `npm start`, not `next start`.');
  return rt;
}
