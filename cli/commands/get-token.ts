import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import type { FederationRecord, NodeRole } from '../../lib/ca/types';
import { NODE_ROLES } from '../../lib/ca/types';
import { dataDirArg, guard, openCa, parseDuration, passwordFileArg, repeated } from '../_shared';

function pickFederation(all: FederationRecord[], id?: string, caUrl?: string): FederationRecord {
  if (id) {
    const f = all.find((x) => x.id === id || x.name === id);
    if (!f) throw new CaError('not_found', `No federation "${id}"; there are: ${all.map((x) => x.id).join(', ')}.`);
    return f;
  }
  if (caUrl) {
    const f = all.find((x) => x.caUrl === caUrl);
    if (!f) throw new CaError('not_found', `No federation is served at ${caUrl}.`);
    return f;
  }
  const f = all.find((x) => x.id === 'default') ?? all[0];
  if (!f) throw new CaError('not_found', 'This CA has no federation.');
  return f;
}

export default defineCommand({
  meta: { name: 'get-token', description: 'Mint a one-time enrollment token for a node (printed on its own line)' },
  args: {
    name: { type: 'string', alias: 'n', required: true, description: "the node's name: collaborator/envoy name or aggregator/director FQDN" },
    'ca-path': dataDirArg,
    'ca-url': { type: 'string', description: 'choose the federation served at host:port' },
    federation: { type: 'string', description: 'choose the federation by id' },
    san: { type: 'string', description: 'subject alternative name (repeatable; default the name)' },
    role: { type: 'string', description: `node role: ${NODE_ROLES.join(', ')} (default collaborator)` },
    ttl: { type: 'string', description: 'token lifetime, 5m to 7d (default 24h)' },
    'cert-validity': { type: 'string', description: 'certificate lifetime (default the federation’s, 365d)' },
    'password-file': passwordFileArg,
  },
  run: ({ args, rawArgs }) =>
    guard(async () => {
      const role = (args.role ?? 'collaborator') as NodeRole;
      if (!NODE_ROLES.includes(role)) throw new CaError('bad_request', `--role is one of ${NODE_ROLES.join(', ')}.`);
      const ca = await openCa(args['ca-path'], args['password-file']);
      try {
        const federation = pickFederation(await ca.store.listFederations(), args.federation, args['ca-url']);
        await ca.authority.unlock(federation);
        const sans = repeated(rawArgs, 'san');
        const minted = await ca.authority.mintToken(
          federation.id,
          {
            subject: args.name,
            sans: sans.length ? sans : undefined,
            role,
            ttlSeconds: args.ttl ? parseDuration(args.ttl, '--ttl') : undefined,
            certSeconds: args['cert-validity'] ? parseDuration(args['cert-validity'], '--cert-validity') : undefined,
          },
          { id: 'cli' },
        );
        process.stderr.write(`Token for ${minted.claims.sub} (federation ${federation.id}), valid until ${minted.record.expiresAt.toISOString()}:\n`);
        process.stdout.write(`${minted.token}\n`);
      } finally {
        await ca.close();
      }
    }),
});
