import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { CA_KEY_SPECS, splitCaUrl, validateCaUrl } from '../../lib/ca/federation';
import { colonHex } from '../../lib/pki/encoding';
import { isKeySpec } from '../../lib/pki/keys';
import { env } from '../../server/env';
import { portProblem } from '../../server/listeners';
import { dataDirArg, guard, openCa, passwordFileArg, serverConfig } from '../_shared';

const list = defineCommand({
  meta: { name: 'list', description: 'List federations with their CA URL, status and root fingerprint' },
  args: { 'ca-path': dataDirArg, 'password-file': passwordFileArg },
  run: ({ args }) =>
    guard(async () => {
      const ca = await openCa(args['ca-path'] as string | undefined, args['password-file'], { unlock: false });
      try {
        for (const f of await ca.store.listFederations()) {
          process.stdout.write(`${f.id}\t${f.status}\t${f.caUrl}\t${f.keySpec}\t${colonHex(f.rootFingerprint)}\t${f.name}\n`);
        }
      } finally {
        await ca.close();
      }
    }),
});

const create = defineCommand({
  meta: { name: 'create', description: 'Create a federation with its own root, intermediate and provisioner key' },
  args: {
    id: { type: 'string', required: true, description: 'identifier: lowercase letters, digits, hyphens' },
    name: { type: 'string', description: 'name shown in certificates (default the id)' },
    'ca-url': { type: 'string', required: true, description: 'host:port its tokens point at' },
    key: { type: 'string', default: 'EC-P256', description: `CA key: ${CA_KEY_SPECS.join(', ')}` },
    'public-url': { type: 'string', description: 'base URL serving /crl/<id> and /ocsp/<id> for its certificates (http:// advised; default $FEDPKI_PUBLIC_URL, as in the portal)' },
    'ca-path': dataDirArg,
    'password-file': passwordFileArg,
  },
  run: ({ args }) =>
    guard(async () => {
      if (!isKeySpec(args.key)) throw new CaError('bad_request', `--key is one of ${CA_KEY_SPECS.join(', ')}.`);
      const ca = await openCa(args['ca-path'] as string | undefined, args['password-file']);
      try {
        await ca.authority.unlockAll();
        // A port another program holds would make a federation no node can reach; one an
        // existing federation has (a shared port, open in a running server) is FedPKI's own.
        const { port } = splitCaUrl(validateCaUrl(args['ca-url']));
        if (!ca.authority.keyring.list().some((c) => splitCaUrl(c.federation.caUrl).port === port)) {
          const config = serverConfig({ dataDir: args['ca-path'] as string | undefined });
          const problem = await portProblem(config.bindHost, port + config.listenPortOffset);
          if (problem) throw new CaError('conflict', `Port ${port} cannot be opened on ${config.bindHost}: ${problem}. Choose another port for --ca-url.`);
        }
        const ctx = await ca.authority.createFederation(
          { id: args.id, name: args.name ?? args.id, caUrl: args['ca-url'], keySpec: args.key, publicUrl: args['public-url'] ?? env().FEDPKI_PUBLIC_URL ?? null },
          { id: 'cli' },
        );
        process.stderr.write(`Created federation ${ctx.federation.id} at https://${ctx.federation.caUrl} (a running server opens it within seconds)\n`);
        process.stderr.write(`Root fingerprint (SHA-256), as the portal and the enrollment page show it: ${colonHex(ctx.root.fingerprint)}\n`);
        // Plain hex on stdout, for scripts: \`step ca bootstrap --fingerprint\` takes it so.
        process.stdout.write(`${ctx.root.fingerprint}\n`);
      } finally {
        await ca.close();
      }
    }),
});

function setStatus(status: 'active' | 'disabled') {
  return defineCommand({
    meta: { name: status === 'active' ? 'enable' : 'disable', description: status === 'active' ? 'Enable a federation' : 'Disable a federation: its tokens stop working' },
    args: { id: { type: 'positional', required: true, description: 'federation id' }, 'ca-path': dataDirArg, 'password-file': passwordFileArg },
    run: ({ args }) =>
      guard(async () => {
        const ca = await openCa(args['ca-path'] as string | undefined, args['password-file']);
        try {
          const f = await ca.store.getFederation(args.id);
          if (!f) throw new CaError('not_found', `No federation "${args.id}".`);
          await ca.authority.unlock(f);
          await ca.authority.updateFederation(f.id, { status }, { id: 'cli' });
          process.stderr.write(`Federation ${f.id} is now ${status}.\n`);
        } finally {
          await ca.close();
        }
      }),
  });
}

const update = defineCommand({
  meta: { name: 'update', description: 'Change a federation’s public URL (CRL/OCSP links in new certificates) or renewal-after-expiry' },
  args: {
    id: { type: 'positional', required: true, description: 'federation id' },
    'public-url': { type: 'string', description: 'base URL serving /crl/<id> and /ocsp/<id> (http:// advised); "none" removes it' },
    'renew-after-expiry': { type: 'string', description: '"on" lets expired certificates renew themselves; "off" (the default) refuses' },
    'ca-path': dataDirArg,
    'password-file': passwordFileArg,
  },
  run: ({ args }) =>
    guard(async () => {
      const patch: { publicUrl?: string | null; allowRenewAfterExpiry?: boolean } = {};
      if (args['public-url'] !== undefined) patch.publicUrl = args['public-url'] === 'none' || args['public-url'] === '' ? null : args['public-url'];
      if (args['renew-after-expiry'] !== undefined) {
        if (!['on', 'off'].includes(args['renew-after-expiry'])) throw new CaError('bad_request', '--renew-after-expiry is on or off.');
        patch.allowRenewAfterExpiry = args['renew-after-expiry'] === 'on';
      }
      if (!Object.keys(patch).length) throw new CaError('bad_request', 'Nothing to change: give --public-url or --renew-after-expiry.');
      const ca = await openCa(args['ca-path'] as string | undefined, args['password-file']);
      try {
        const f = await ca.store.getFederation(args.id);
        if (!f) throw new CaError('not_found', `No federation "${args.id}".`);
        await ca.authority.unlock(f);
        const updated = await ca.authority.updateFederation(f.id, patch, { id: 'cli' });
        process.stderr.write(
          `Federation ${f.id}: public URL ${updated.publicUrl ?? '(none)'}, renewal after expiry ${updated.allowRenewAfterExpiry ? 'on' : 'off'} (a running server applies it within seconds).\n`,
        );
      } finally {
        ca.close();
      }
    }),
});

export default defineCommand({
  meta: { name: 'federation', description: 'Manage federations (each an OpenFL workspace with its own CA)' },
  subCommands: { list, create, update, disable: setStatus('disabled'), enable: setStatus('active') },
});
