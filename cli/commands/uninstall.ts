import { defineCommand } from 'citty';
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { CaError } from '../../lib/ca/errors';
import { ask, isInteractive } from '../../server/prompt';
import { sqliteFileState } from '../../db/client';
import { dataDirArg, guard, serverConfig } from '../_shared';

export default defineCommand({
  meta: { name: 'uninstall', description: 'Delete a CA: its database and every key in it, and its data folder if nothing else is in it (asks first)' },
  args: {
    'ca-path': { ...dataDirArg, required: true, description: 'the data folder to delete, named on the command line (no default: neither ./data nor $FEDPKI_DATA_DIR)' },
    yes: { type: 'boolean', alias: 'y', description: 'do not ask' },
  },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'] });
      if (config.databaseUrl) {
        throw new CaError('bad_request', 'FedPKI runs on PostgreSQL here (DATABASE_URL): drop that database with your PostgreSQL tools; uninstall only deletes SQLite data folders.');
      }
      if (!existsSync(config.databaseFile)) throw new CaError('not_found', `${config.dataDir} is not a FedPKI data folder.`);
      // Deleting the folder under a running server would let it go on issuing into
      // unlinked files, lost when it stops; a folder that merely holds a file of that
      // name is not ours to delete.
      const state = sqliteFileState(config.databaseFile);
      if (state === 'in-use') throw new CaError('conflict', `${config.dataDir} is in use: a FedPKI server (or another program) has its database open. Stop it first; nothing deleted.`);
      if (state === 'foreign') throw new CaError('bad_request', `${config.dataDir} holds a fedpki.db that is not a FedPKI database; nothing deleted.`);
      if (!args.yes) {
        if (!isInteractive()) throw new CaError('bad_request', 'Refusing to delete without confirmation: add --yes.');
        const answer = await ask(`Delete the CA in ${config.dataDir}, its database and every CA key in it? Type "delete" to confirm`);
        if (answer !== 'delete') {
          process.stderr.write('Nothing deleted.\n');
          return;
        }
      }
      // FedPKI's files only: a folder the operator also keeps other things in (a project,
      // backups, notes) keeps them.
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(config.databaseFile + suffix, { force: true });
      const folder = dirname(config.databaseFile);
      const others = readdirSync(folder);
      if (others.length === 0) {
        rmdirSync(folder);
        process.stderr.write(`Deleted ${folder}.\n`);
      } else {
        const named = others.slice(0, 5).join(', ') + (others.length > 5 ? ` and ${others.length - 5} more` : '');
        process.stderr.write(`Deleted the CA (${basename(config.databaseFile)} and its journal files). Kept ${folder}, which holds other files: ${named}.\n`);
      }
    }),
});

