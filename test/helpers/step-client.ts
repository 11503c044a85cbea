/**
 * step's own client, built from Debian's Go sources of smallstep/certificates (the
 * packages `.ci/run` installs: golang-go, golang-github-smallstep-certificates-dev):
 * test/step-client/main.go does what `fx pki certify` does through that library.
 * FEDPKI_TEST_STEP_CLIENT=0 skips the suite that needs it.
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

export const STEP_SOURCES = '/usr/share/gocode/src/github.com/smallstep/certificates';

export const stepClientWanted = () => process.env.FEDPKI_TEST_STEP_CLIENT !== '0';

/** Builds the client into `dir` (Go's build cache makes later builds quick); returns its path. */
export function buildStepClient(dir: string): string {
  if (spawnSync('go', ['version']).status !== 0 || !existsSync(STEP_SOURCES)) {
    throw new Error('step client sources are not installed: `apt-get install golang-go golang-github-smallstep-certificates-dev` (or set FEDPKI_TEST_STEP_CLIENT=0 to skip that suite).');
  }
  // Debian's Go libraries live in a GOPATH, not a module cache.
  const src = join(dir, 'gopath', 'src', 'stepclient');
  mkdirSync(src, { recursive: true });
  copyFileSync(join(ROOT, 'test', 'step-client', 'main.go'), join(src, 'main.go'));
  const out = join(dir, 'step-client');
  const r = spawnSync('go', ['build', '-o', out, '.'], {
    cwd: src,
    encoding: 'utf8',
    env: { ...process.env, GO111MODULE: 'off', GOPATH: `${join(dir, 'gopath')}:/usr/share/gocode`, GOFLAGS: '' },
  });
  if (r.status !== 0) throw new Error(`building the step client failed:\n${r.stderr}`);
  return out;
}

/** Runs it: NAME FX_TOKEN OUT_DIR, `renew CA_URL DIR NAME`, `revoke CA_URL ROOT_FILE SERIAL JWT` or `read CA_URL ROOT_FILE`. */
export function stepClient(bin: string, args: string[]) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs it as `fx pki certify -n NAME -t TOKEN` would run step. */
export function stepCertify(bin: string, name: string, token: string, outDir: string) {
  mkdirSync(outDir, { recursive: true });
  return stepClient(bin, [name, token, outDir]);
}
