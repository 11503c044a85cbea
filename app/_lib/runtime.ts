import 'server-only';

/**
 * The running FedPKI server (see server/runtime.ts, which holds the globalThis lookup;
 * it imports only types at module level, so nothing else is bundled into Next).
 */
export { getRuntime as runtime } from '@/server/runtime';
