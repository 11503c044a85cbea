import { createReadStream, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { defineCommand } from 'citty';
import { databaseKind, openStore } from '../../db/open';
import { importDatabase } from '../../db/transfer';
import { dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: {
    name: 'import',
    description: 'Load a `fedpki export` into a new, empty database (DATABASE_URL=postgres://… or a data folder), in one transaction',
  },
  args: {
    'ca-path': dataDirArg,
    input: { type: 'string', alias: 'i', description: 'file to read (default standard input)' },
  },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
      // A SQLite file this import creates goes again if the import fails: an empty
      // database left behind would pass for a CA ("already holds a FedPKI CA").
      const created = databaseKind(config) === 'sqlite' && !existsSync(config.databaseFile);
      const folderCreated = created && !existsSync(dirname(config.databaseFile));
      const database = await openStore(config);
      let imported = false;
      try {
        const input = args.input ? createReadStream(args.input) : process.stdin;
        const counts = await importDatabase(database, createInterface({ input, crlfDelay: Infinity }));
        imported = true;
        const rows = Object.values(counts).reduce((a, b) => a + b, 0);
        process.stderr.write(`Imported ${rows} rows into ${database.location}: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
      } finally {
        await database.close();
        if (created && !imported) {
          for (const suffix of ['', '-wal', '-shm']) rmSync(config.databaseFile + suffix, { force: true });
          // and the folder it made for it (all of it this run's: a failure to remove it must not hide the import's own error)
          if (folderCreated) rmSync(dirname(config.databaseFile), { recursive: true, force: true });
        }
      }
    }),
});
