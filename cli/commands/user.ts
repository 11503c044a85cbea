import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { isRole, ROLES } from '../../lib/auth/roles';
import { openStore, storeExists } from '../../db/open';
import { askNewPassword, isInteractive } from '../../server/prompt';
import { readSecretFile } from '../../server/secrets';
import { caLocation, dataDirArg, guard, serverConfig } from '../_shared';

const add = defineCommand({
  meta: { name: 'add', description: 'Create a portal account' },
  args: {
    username: { type: 'string', alias: 'u', required: true, description: 'user name' },
    role: { type: 'string', default: 'operator', description: `one of ${ROLES.join(', ')}` },
    'ca-path': dataDirArg,
    'password-file': { type: 'string', description: 'file holding the new password (else a prompt)' },
  },
  run: ({ args }) =>
    guard(async () => {
      if (!isRole(args.role)) throw new CaError('bad_request', `--role is one of ${ROLES.join(', ')}.`);
      const config = serverConfig({ dataDir: args['ca-path'] });
      if (!(await storeExists(config))) throw new CaError('not_found', `No FedPKI CA in ${caLocation(config)}.`);
      let password: string;
      if (args['password-file']) password = readSecretFile(args['password-file']);
      else if (isInteractive()) password = await askNewPassword(`Password for ${args.username} (at least 12 characters)`, 12);
      else throw new CaError('bad_request', 'Give --password-file, or run on a terminal to be asked.');
      const database = await openStore(config);
      try {
        await database.users.create({ username: args.username, role: args.role, password, createdBy: 'cli' });
        process.stderr.write(`Created ${args.role} ${args.username.toLowerCase()}.\n`);
      } finally {
        await database.close();
      }
    }),
});

export default defineCommand({
  meta: { name: 'user', description: 'Manage portal accounts' },
  subCommands: { add },
});
