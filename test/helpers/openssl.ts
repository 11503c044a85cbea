/** openssl as the independent checker of what FedPKI issues. */

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(args: string[], input?: string | Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `openssl verify -CAfile root -untrusted intermediate leaf` → true when it prints OK. */
export function opensslVerify(dir: string, rootPem: string, intermediatePem: string, leafPem: string, extra: string[] = []): { ok: boolean; output: string } {
  const root = join(dir, `root-${Math.random().toString(36).slice(2)}.pem`);
  const int = join(dir, `int-${Math.random().toString(36).slice(2)}.pem`);
  const leaf = join(dir, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(root, rootPem);
  writeFileSync(int, intermediatePem);
  writeFileSync(leaf, leafPem);
  const r = openssl(['verify', ...extra, '-CAfile', root, '-untrusted', int, leaf]);
  return { ok: r.status === 0 && r.stdout.includes(': OK'), output: r.stdout + r.stderr };
}

export function x509Text(pem: string): string {
  return openssl(['x509', '-noout', '-text'], pem).stdout;
}
