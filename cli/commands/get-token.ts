import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import type { FederationRecord, NodeRole } from '../../lib/ca/types';
import { NODE_ROLES } from '../../lib/ca/types';
import { parseSerial } from '../../lib/ca/revoke';
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

/** A revoke token: printed as the bare JWT, which `step ca revoke SERIAL --token` takes. */
async function revokeToken(serialArg: string, args: { 'ca-path'?: string; 'password-file'?: string; ttl?: string }): Promise<void> {
  const serial = parseSerial(serialArg);
  const ca = await openCa(args['ca-path'], args['password-file']);
  try {
    const cert = await ca.store.getCertificate(serial);
    if (!cert) throw new CaError('not_found', `No certificate with serial ${serial} was issued by this CA (see \`fedpki list\`).`);
    const federation = await ca.store.getFederation(cert.federationId);
    if (!federation) throw new CaError('not_found', `No federation "${cert.federationId}".`);
    await ca.authority.unlock(federation);
    const minted = await ca.authority.mintRevokeToken({ serial, ttlSeconds: args.ttl ? parseDuration(args.ttl, '--ttl') : undefined }, { id: 'cli' });
    process.stderr.write(`Revoke token for certificate ${serial} (${cert.commonName}, federation ${federation.id}), valid until ${minted.record.expiresAt.toISOString()}; decimal serial ${minted.claims.sub}:\n`);
    process.stdout.write(`${minted.jwt}\n`);
  } finally {
    ca.close();
  }
}

export default defineCommand({
  meta: { name: 'get-token', description: 'Mint a one-time enrollment token for a node (printed on its own line)' },
  args: {
    name: { type: 'string', alias: 'n', description: "the node's name: collaborator/envoy name or aggregator/director FQDN" },
    revoke: { type: 'string', description: 'instead: a token that revokes this certificate (hex serial), for `step ca revoke --token`' },
    'ca-path': dataDirArg,
    'ca-url': { type: 'string', description: 'choose the federation served at host:port' },
    federation: { type: 'string', description: 'choose the federation by id' },
    san: { type: 'string', description: 'an extra subject alternative name besides the name itself, e.g. an IP (repeatable)' },
    role: { type: 'string', description: `node role: ${NODE_ROLES.join(', ')} (default collaborator)` },
    ttl: { type: 'string', description: 'token lifetime, 5m to 7d (default 24h)' },
    'cert-validity': { type: 'string', description: 'certificate lifetime (default the federation’s, 365d)' },
    'password-file': passwordFileArg,
  },
  run: ({ args, rawArgs }) =>
    guard(async () => {
      // Options that cannot both apply are refused, not silently resolved.
      if (args['ca-url'] && args.federation) throw new CaError('bad_request', 'Choose the federation with --ca-url or with --federation, not both.');
      if (args.revoke) {
        const minting = ['name', 'ca-url', 'federation', 'san', 'role', 'cert-validity'].filter((k) => args[k as keyof typeof args] !== undefined);
        if (minting.length) throw new CaError('bad_request', `--revoke makes a revoke token for that certificate; it takes no ${minting.map((k) => (k === 'name' ? '-n' : `--${k}`)).join(', ')}.`);
        return revokeToken(args.revoke, args);
      }
      if (!args.name) throw new CaError('bad_request', 'Give the node name with -n NAME (or --revoke SERIAL for a revoke token).');
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
