import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'fedpki.mjs');
/** bin/fedpki: the command as users start it (execs node on BIN, with TCMalloc when installed). */
export const LAUNCHER = join(ROOT, 'bin', 'fedpki');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix = 'fedpki-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
