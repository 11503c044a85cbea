import { defineCommand } from 'citty';
import { openStore } from '../../db/open';
import { dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: { name: 'migrate', description: 'Apply the committed database migrations, SQLite or PostgreSQL (also done on every start)' },
  args: { 'ca-path': dataDirArg },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
      const database = await openStore(config);
      await database.close();
      process.stderr.write(`Database ${database.location} (${database.kind}) is up to date.\n`);
    }),
});
