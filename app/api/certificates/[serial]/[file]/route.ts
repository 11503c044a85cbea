import { CaError } from '@/lib/ca/errors';
import { buildSignedCertZip, signedPackageName } from '@/lib/openfl/manual';
import { toPem } from '@/lib/pki/pem';
import { download, withPermission } from '@/app/_lib/route';
import { runtime } from '@/app/_lib/runtime';

/**
 * A certificate's files: certificate.crt (the leaf), fullchain.crt (leaf then
 * intermediate, as `step ca certificate` writes it) and openfl.zip (OpenFL's
 * agg_to_col_<name>_signed_cert.zip for `fx collaborator certify --import`, or an
 * aggregator's server/agg_<fqdn>.crt with cert_chain.crt; not for a revoked certificate).
 */
export const GET = withPermission<{ serial: string; file: string }>('view', async (_req, { serial, file }) => {
  const rt = runtime();
  const cert = /^[0-9a-f]{1,64}$/.test(serial) ? await rt.queries.getCertificateDetail({ serial }) : undefined;
  if (!cert) throw new CaError('not_found', 'No certificate with this serial.');
  const ctx = rt.authority.federation(cert.federationId);
  const leaf = toPem(cert.der, 'CERTIFICATE');
  const pem = 'application/x-pem-file';
  switch (file) {
    case 'certificate.crt':
      return download(leaf, `${cert.commonName}.crt`, pem);
    case 'fullchain.crt':
      return download(leaf + ctx.intermediate.pem, `${cert.commonName}-fullchain.crt`, pem);
    case 'openfl.zip': {
      // The bundle is for installing; a revoked certificate is kept for the record only (certificate.crt).
      if (cert.status === 'revoked') throw new CaError('conflict', 'This certificate is revoked: there is nothing to install. The node enrolls again with a new token.');
      const zip = buildSignedCertZip({ name: cert.commonName, role: cert.role, certificate: cert.der, chainPem: ctx.root.pem + ctx.intermediate.pem });
      return download(zip as Uint8Array<ArrayBuffer>, signedPackageName(cert.commonName, cert.role), 'application/zip');
    }
    default:
      throw new CaError('not_found', 'No such file: certificate.crt, fullchain.crt or openfl.zip.');
  }
});
