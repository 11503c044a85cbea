import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { crlReasonName } from '../../lib/pki/crl';
import type { CertificateState } from '../../db/queries/certificates-expiry';
import { dataDirArg, guard, openCa, parseDuration } from '../_shared';

const STATES: CertificateState[] = ['valid', 'revoked', 'expired'];
const DAY_MS = 24 * 3600 * 1000;

export default defineCommand({
  meta: { name: 'list', description: 'On the CA host: list certificates (newest first, or soonest to expire with --expiring)' },
  args: {
    expiring: { type: 'string', description: 'only valid certificates expiring within this time, soonest first (e.g. 30d, 12h)' },
    federation: { type: 'string', description: 'only this federation' },
    status: { type: 'string', description: `only ${STATES.join(', ')}` },
    limit: { type: 'string', description: 'at most this many (default 500)' },
    json: { type: 'boolean', description: 'print JSON lines instead of a table' },
    'ca-path': dataDirArg,
  },
  run: ({ args }) =>
    guard(async () => {
      if (args.status && !STATES.includes(args.status as CertificateState)) throw new CaError('bad_request', `--status is one of ${STATES.join(', ')}.`);
      const limit = args.limit ? Number(args.limit) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new CaError('bad_request', '--limit takes a positive number.');
      const ca = await openCa(args['ca-path'], undefined, { unlock: false });
      try {
        if (args.federation && !(await ca.store.getFederation(args.federation))) throw new CaError('not_found', `No federation "${args.federation}".`);
        const now = new Date();
        const rows = await ca.database.queries.listCertificatesByState({
          federationId: args.federation,
          state: args.status as CertificateState | undefined,
          expiringWithinSeconds: args.expiring ? parseDuration(args.expiring, '--expiring') : undefined,
          now,
          limit,
        });
        for (const r of rows) {
          // Rounded as the portal rounds ("30 days left"); none for a certificate that is
          // no longer valid (revoked, expired), whose days would count to nothing.
          const daysLeft = r.state === 'valid' ? Math.round((r.notAfter.getTime() - now.getTime()) / DAY_MS) : null;
          if (args.json) {
            process.stdout.write(`${JSON.stringify({ ...r, notBefore: r.notBefore.toISOString(), notAfter: r.notAfter.toISOString(), revokedAt: r.revokedAt?.toISOString() ?? null, daysLeft })}\n`);
            continue;
          }
          const state = r.state === 'revoked' ? `revoked(${crlReasonName(r.revocationReason ?? 0) ?? r.revocationReason})` : r.state;
          const left = r.state === 'valid' ? `${daysLeft}d` : '-';
          process.stdout.write(`${r.serial}\t${r.federationId}\t${r.commonName}\t${state}\t${r.notAfter.toISOString()}\t${left}${r.superseded ? '\trenewed' : ''}\n`);
        }
        if (!args.json) process.stderr.write(`${rows.length} certificate${rows.length === 1 ? '' : 's'}\n`);
      } finally {
        ca.close();
      }
    }),
});
