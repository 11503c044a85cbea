import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { databaseKind, openStore } from '../../db/open';
import { existsSync } from 'node:fs';
import { dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: { name: 'migrate', description: 'Apply the committed database migrations, SQLite or PostgreSQL (also done on every start)' },
  args: { 'ca-path': dataDirArg },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
      // A mistyped path must not become a new, empty database (PostgreSQL's is made by its admin).
      if (databaseKind(config) === 'sqlite' && !existsSync(config.databaseFile)) {
        throw new CaError('not_found', `No FedPKI database at ${config.databaseFile}: \`fedpki install\` or the first \`fedpki run\` creates it.`);
      }
      const database = await openStore(config);
      await database.close();
      process.stderr.write(`Database ${database.location} (${database.kind}) is up to date.\n`);
    }),
});
