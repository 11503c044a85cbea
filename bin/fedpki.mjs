#!/usr/bin/env node
// The fedpki command. dist/fedpki.mjs is built by `npm install` (the prepare script);
// build it here if it is missing so a fresh checkout works either way.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Help and messages going to a file or a pipe carry no colour codes (citty reads this once, on load).
if (!process.stdout.isTTY && process.env.NO_COLOR === undefined) process.env.NO_COLOR = '1';

const bundle = new URL('../dist/fedpki.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  const { buildServer } = await import('../scripts/build-server.mjs');
  await buildServer();
}
await import(bundle.href);
