/**
 * OpenFL's manual certificate workflow (openfl/interface/collaborator.py): the
 * collaborator runs `fx collaborator generate-cert-request -n NAME`, which writes
 * `col_<name>_to_agg_cert_request.zip` holding `col_<name>.csr` at its root and prints
 * the SHA-384 of the CSR PEM; the aggregator signs and sends back
 * `agg_to_col_<name>_signed_cert.zip` holding `client/col_<name>.crt` and
 * `cert_chain.crt` (root then signing CA), which `fx collaborator certify --import`
 * unpacks into the collaborator's cert/ folder. The aggregator's own certificate never
 * travels in such a zip (`fx aggregator certify` signs it where the CA is); for one
 * signed here, the zip holds `server/agg_<fqdn>.crt` (plan.py lowercases agg_addr) and
 * `cert_chain.crt`, to unpack into the workspace's cert/ folder. Runs in the browser and
 * on the server.
 */

import { unzipSync, zipSync } from 'fflate';
import { getCrypto, digest } from '../pki/crypto';
import { toHex, utf8 } from '../pki/encoding';
import { toPem } from '../pki/pem';

/** A request zip holds one small CSR; anything bigger is not one. */
export const MAX_REQUEST_ZIP_BYTES = 256 * 1024;
const MAX_CSR_FILE_BYTES = 64 * 1024;

export class OpenflPackageError extends Error {
  override name = 'OpenflPackageError';
}

export interface CertRequestPackage {
  /** The CSR's file name inside the zip, e.g. "col_one.csr". */
  fileName: string;
  /** The name in the file name: what follows col_ (or agg_), without .csr. */
  name: string;
  csr: Uint8Array;
}

const CSR_FILE_RE = /^(?:col|agg)_(.+)\.csr$/;

/**
 * Reads `col_<name>_to_agg_cert_request.zip`. Exactly one .csr file is expected (fx
 * would sign the first one it finds; refusing is clearer than guessing).
 * @throws OpenflPackageError with a sentence that says what is wrong
 */
export function readCertRequestZip(zip: Uint8Array): CertRequestPackage {
  if (zip.length > MAX_REQUEST_ZIP_BYTES) throw new OpenflPackageError('The file is too large to be an OpenFL certificate request package.');
  let files: Record<string, Uint8Array>;
  const tooLarge: string[] = [];
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        if (!f.name.toLowerCase().endsWith('.csr')) return false;
        // Not inflated (the size is the archive's word, so this also stops a zip bomb), but named.
        if (f.originalSize > MAX_CSR_FILE_BYTES) tooLarge.push(f.name.slice(f.name.lastIndexOf('/') + 1));
        return f.originalSize <= MAX_CSR_FILE_BYTES;
      },
    });
  } catch {
    throw new OpenflPackageError('The file is not a readable zip archive.');
  }
  const csrs = Object.entries(files).filter(([path]) => !path.endsWith('/'));
  if (csrs.length === 0 && tooLarge.length) throw new OpenflPackageError(`${tooLarge[0]} in the zip is too large to be a certificate request (over ${MAX_CSR_FILE_BYTES / 1024} KiB).`);
  if (csrs.length === 0) throw new OpenflPackageError('The zip holds no .csr file: upload the col_<name>_to_agg_cert_request.zip that `fx collaborator generate-cert-request` made.');
  if (csrs.length > 1) throw new OpenflPackageError(`The zip holds ${csrs.length} .csr files; a request package holds one.`);
  const [path, csr] = csrs[0]!;
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  const name = CSR_FILE_RE.exec(fileName)?.[1] ?? fileName.replace(/\.csr$/i, '');
  return { fileName, name, csr };
}

/** The SHA-384 of the CSR as PEM, hex: what `fx` prints as "CSR Hash" on both sides. */
export async function openflCsrHash(csrDer: Uint8Array, crypto: Crypto = getCrypto()): Promise<string> {
  return toHex(await digest('SHA-384', utf8(toPem(csrDer, 'CERTIFICATE REQUEST')), crypto));
}

export interface SignedCertPackageParams {
  /** The node name as it goes into the file names (the certificate's CN). */
  name: string;
  /** The certificate's role: an aggregator's goes under server/, any other under client/. */
  role: string;
  /** The collaborator's certificate (DER). */
  certificate: Uint8Array;
  /** Root PEM, then the signing (intermediate) CA PEM. */
  chainPem: string;
}

export const signedPackageName = (name: string, role: string): string =>
  role === 'aggregator' ? `agg_${name.toLowerCase()}_signed_cert.zip` : `agg_to_col_${name}_signed_cert.zip`;

/** The certificate's path inside the package, relative to the node's cert/ folder. */
export const signedCertPath = (name: string, role: string): string =>
  role === 'aggregator' ? `server/agg_${name.toLowerCase()}.crt` : `client/col_${name}.crt`;

/** Builds `agg_to_col_<name>_signed_cert.zip` for `fx collaborator certify --import` (or an aggregator's, above). */
export function buildSignedCertZip(p: SignedCertPackageParams): Uint8Array {
  // A fixed timestamp keeps the archive identical for identical contents.
  const mtime = new Date('2000-01-01T00:00:00Z');
  return zipSync(
    {
      [signedCertPath(p.name, p.role)]: utf8(toPem(p.certificate, 'CERTIFICATE')),
      'cert_chain.crt': utf8(p.chainPem),
    },
    { level: 6, mtime },
  );
}
