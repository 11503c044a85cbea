import { defineCommand } from 'citty';
import { resolve } from 'node:path';
import { openDatabase } from '../../db/client';
import { dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: { name: 'migrate', description: 'Apply the committed database migrations (also done on every start)' },
  args: { dataDir: dataDirArg },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
      const db = openDatabase({ file: config.databaseFile, migrationsFolder: resolve(config.root, 'db', 'migrations') });
      db.$client.close();
      process.stderr.write(`Database ${config.databaseFile} is up to date.\n`);
    }),
});
