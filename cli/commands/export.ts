import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { openStore, storeExists } from '../../db/open';
import { exportDatabase } from '../../db/transfer';
import { caLocation, dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: {
    name: 'export',
    description: 'Write the whole database (keys stay encrypted) as JSON Lines, for `fedpki import` into SQLite or PostgreSQL',
  },
  args: {
    'ca-path': dataDirArg,
    output: { type: 'string', alias: 'o', description: 'file to write (default standard output)' },
  },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
      if (!(await storeExists(config))) throw new CaError('not_found', `No FedPKI CA in ${caLocation(config)}.`);
      const database = await openStore({ ...config, migrate: false });
      const out: Writable = args.output ? createWriteStream(args.output, { mode: 0o600 }) : process.stdout;
      try {
        const counts = await exportDatabase(database, async (line) => {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
        });
        const rows = Object.values(counts).reduce((a, b) => a + b, 0);
        process.stderr.write(`Exported ${rows} rows from ${database.location}: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
      } finally {
        await database.close();
        if (out !== process.stdout) {
          out.end();
          await once(out, 'finish');
        }
      }
    }),
});
