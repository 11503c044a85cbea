// Bundles the CLI and the custom HTTPS server (cli/, server/, lib/, db/) into
// dist/fedpki.mjs with esbuild. Packages stay external: they load from node_modules.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildServer() {
  await build({
    entryPoints: { fedpki: `${root}cli/index.ts`, 'signing-worker': `${root}server/signing-worker.ts` },
    outdir: `${root}dist`,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    splitting: false,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __fedpkiCreateRequire } from 'node:module'; const require = __fedpkiCreateRequire(import.meta.url);" },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildServer();
}
