// Before `npm start`: build the portal (next build) and the server bundle when they are
// missing or older than the sources, so `npm install && npm start` is all a new
// machine needs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    // Unit tests sit beside the code but are in neither build.
    if (name === 'node_modules' || name.startsWith('.') || /\.test\.tsx?$/.test(name)) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

const sources = ['app', 'lib', 'db', 'server', 'cli', 'proxy.ts', 'next.config.js', 'package.json', 'public'].map((p) => join(root, p));
const sourceTime = Math.max(...sources.map(newest));
const buildId = join(root, '.next', 'BUILD_ID');
const bundle = join(root, 'dist', 'fedpki.mjs');

const stale = (file) => !existsSync(file) || statSync(file).mtimeMs < sourceTime;

if (stale(buildId) || stale(bundle)) {
  process.stderr.write('Building FedPKI (first start, or sources changed)…\n');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const { buildServer } = await import('./build-server.mjs');
  await buildServer();
}
