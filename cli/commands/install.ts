import { defineCommand } from 'citty';
import { storeExists } from '../../db/open';
import { CaError } from '../../lib/ca/errors';
import { env } from '../../server/env';
import { startServer } from '../../server/run';
import { caLocation, dataDirArg, guard, passwordFileArg, passwordSources, serverConfig, usesDatabaseUrlFile } from '../_shared';

export default defineCommand({
  meta: { name: 'install', description: 'Create a CA: the first federation (root, intermediate, provisioner key) and a portal administrator' },
  args: {
    'ca-path': dataDirArg,
    'ca-url': { type: 'string', description: 'host:port the federation is reached at (default localhost:9123)' },
    'password-file': passwordFileArg,
    name: { type: 'string', description: 'federation name shown in certificates (default FedPKI)' },
  },
  run: ({ args }) =>
    guard(async () => {
      const config = serverConfig({ dataDir: args['ca-path'], caUrl: args['ca-url'] });
      if (await storeExists(config)) throw new CaError('conflict', `${caLocation(config)} already holds a FedPKI CA.`);
      const e = env();
      await startServer({
        config,
        password: passwordSources(args['password-file']),
        admin: { username: e.FEDPKI_ADMIN_USERNAME, password: e.FEDPKI_ADMIN_PASSWORD, passwordFile: e.FEDPKI_ADMIN_PASSWORD_FILE },
        federationName: args.name,
        logLevel: 'warn',
        installOnly: true,
      });
      process.stderr.write(`FedPKI CA created in ${caLocation(config)} for https://${config.caUrl}\nStart it with: fedpki run${config.databaseUrl || usesDatabaseUrlFile(config) ? ' (with DATABASE_URL set as now)' : ` -p ${config.dataDir}`}\n`);
    }),
});
