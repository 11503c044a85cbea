import { defineCommand } from 'citty';
import { CaError } from '../../lib/ca/errors';
import { KEY_COMPROMISE, REVOCATION_REASONS, parseReasonCode, parseSerial } from '../../lib/ca/revoke';
import { crlReasonName } from '../../lib/pki/crl';
import { dataDirArg, guard, openCa, passwordFileArg } from '../_shared';

export default defineCommand({
  meta: { name: 'revoke', description: 'On the CA host: revoke a certificate and publish its federation’s new CRL' },
  args: {
    serial: { type: 'positional', required: true, description: 'serial number in hex, as `fedpki list` and openssl show it (0x… and aa:bb:… too)' },
    reason: { type: 'string', description: `RFC 5280 reason: ${REVOCATION_REASONS.join(', ')} (or its code); default unspecified` },
    note: { type: 'string', description: 'free text kept with the revocation (not published)' },
    'ca-path': dataDirArg,
    'password-file': passwordFileArg,
  },
  run: ({ args }) =>
    guard(async () => {
      const serial = parseSerial(args.serial);
      const reasonCode = parseReasonCode(args.reason);
      const ca = await openCa(args['ca-path'], args['password-file']);
      try {
        const cert = await ca.store.getCertificate(serial);
        if (!cert) throw new CaError('not_found', `No certificate with serial ${serial} was issued by this CA (see \`fedpki list\`).`);
        const federation = await ca.store.getFederation(cert.federationId);
        if (!federation) throw new CaError('not_found', `The certificate's federation ${cert.federationId} is gone.`);
        await ca.authority.unlock(federation);
        const { certificate, alsoRevoked, crl } = await ca.authority.revoke(serial, { reasonCode, reason: args.note }, { id: 'cli' }, 'cli');
        process.stderr.write(
          `Revoked ${certificate.serial} (${certificate.commonName}, federation ${certificate.federationId}), reason ${crlReasonName(reasonCode)}.\n` +
            (alsoRevoked.length
              ? `Also revoked, for the same key: ${alsoRevoked.map((c) => `${c.serial} (${c.commonName}, federation ${c.federationId})`).join(', ')}.\n`
              : '') +
            (reasonCode === KEY_COMPROMISE ? 'The key is refused from now on: the node enrolls again with a new key.\n' : '') +
            (crl
              ? `Published CRL number ${crl.number}; OCSP answers "revoked" from now on.\n`
              : 'The CRL could not be published now; the server publishes it within a minute. OCSP answers "revoked" from now on.\n'),
        );
      } finally {
        ca.close();
      }
    }),
});
