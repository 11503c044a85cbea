import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Integration and browser tiers need the server bundle and openssl. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // Always rebuild the server bundle (about a second): a stale one would test old code.
  execFileSync(process.execPath, [`${root}scripts/build-server.mjs`], { stdio: 'inherit' });
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
}
