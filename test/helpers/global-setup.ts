import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Integration and browser tiers need the server bundle and openssl. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!existsSync(`${root}dist/fedpki.mjs`)) {
    execFileSync(process.execPath, [`${root}scripts/build-server.mjs`], { stdio: 'inherit' });
  }
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
}
