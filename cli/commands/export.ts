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
      // A write that fails (a full disk, a closed pipe) must fail the export: without a
      // listener the error would end the stream and leave `drain` never coming.
      let failure: Error | undefined;
      const failed = new Promise<never>((_, reject) =>
        out.once('error', (e) => {
          failure = e;
          reject(e);
        }),
      );
      failed.catch(() => {});
      const wait = (event: string) => Promise.race([once(out, event), failed]);
      try {
        const counts = await exportDatabase(database, async (line) => {
          if (failure) throw failure;
          if (!out.write(`${line}\n`)) await wait('drain');
        });
        if (out !== process.stdout) {
          out.end();
          await wait('finish');
        }
        if (failure) throw failure;
        const rows = Object.values(counts).reduce((a, b) => a + b, 0);
        process.stderr.write(`Exported ${rows} rows from ${database.location}: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
      } catch (e) {
        if (e === failure) throw new CaError('unavailable', `The export could not be written${args.output ? ` to ${args.output}` : ''}: ${failure!.message}`);
        throw e;
      } finally {
        await database.close();
        if (out !== process.stdout && !out.destroyed) out.destroy();
      }
    }),
});
