import { defineCommand } from 'citty';
import { env, flagValue } from '../../server/env';
import { startServer } from '../../server/run';
import { dataDirArg, guard, passwordFileArg, passwordSources, serverConfig } from '../_shared';

export default defineCommand({
  meta: { name: 'run', description: 'Serve the portal and the step-compatible API over HTTPS (first start creates the CA)' },
  args: {
    'ca-path': dataDirArg,
    'password-file': passwordFileArg,
    'ca-url': { type: 'string', description: 'first start only: host:port of the first federation (default localhost:9123)' },
    host: { type: 'string', description: 'address to bind (default 127.0.0.1)' },
    'http-port': { type: 'string', description: 'also serve plain HTTP on 127.0.0.1:PORT (behind a TLS proxy)' },
    'api-only': { type: 'boolean', description: 'serve the API without the portal' },
    dev: { type: 'boolean', description: 'run Next.js in development mode' },
    'log-level': { type: 'string', description: 'debug, info, warn or error' },
  },
  run: ({ args }) =>
    guard(async () => {
      const e = env();
      const config = serverConfig({ dataDir: args['ca-path'], caUrl: args['ca-url'], host: args.host, httpPort: args['http-port'], dev: args.dev });
      const server = await startServer({
        config,
        password: passwordSources(args['password-file']),
        admin: { username: e.FEDPKI_ADMIN_USERNAME, password: e.FEDPKI_ADMIN_PASSWORD, passwordFile: e.FEDPKI_ADMIN_PASSWORD_FILE },
        logLevel: flagValue('FEDPKI_LOG_LEVEL', '--log-level', args['log-level']) ?? e.FEDPKI_LOG_LEVEL,
        apiOnly: args['api-only'],
      });
      const stop = async (signal: string) => {
        server.runtime.log.info('stopping', { signal });
        await server.close();
        process.exit(0);
      };
      void server.fatal.then(async (reason) => {
        await server.close();
        process.stderr.write(`fedpki: Stopped: ${reason}. Put it back, or restore a backup with \`fedpki import\`, before starting again.\n`);
        process.exit(1);
      });
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      const ports = server.runtime.listeners.ports();
      process.stderr.write(`FedPKI is serving on ${ports.map((p) => `https://${config.bindHost}:${p}`).join(', ')}\n`);
    }),
});
