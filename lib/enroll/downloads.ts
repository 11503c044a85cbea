/**
 * The files the enrollment page offers once a certificate is verified, built in the
 * browser from the key that never left it: the two OpenFL zip layouts, a PKCS#12
 * file, and the single PEM files (the key optionally as encrypted PKCS#8).
 */

import { certificatesFromPem } from '../pki/certificate';
import { utf8 } from '../pki/encoding';
import { getCrypto } from '../pki/crypto';
import { traditionalPrivateKeyPem } from '../pki/key-formats';
import { exportPkcs8 } from '../pki/keys';
import { toPem } from '../pki/pem';
import { createPkcs12 } from '../pki/pkcs12';
import { encryptPrivateKey } from '../pki/pkcs8';
import { aggregatorWorkflowFiles, directorEnvoyFiles, fileSafeName, zipBundle, type NodeMaterial, type OpenflRole } from './bundles';
import { MIN_PASSPHRASE_LENGTH } from './passphrase';
import type { EnrolledNode } from './session';

export type DownloadRequest =
  | { kind: 'director-envoy' }
  | { kind: 'aggregator'; role: OpenflRole }
  | { kind: 'pkcs12'; password: string }
  /** `<name>.crt`: the leaf then the intermediate. */
  | { kind: 'certificate' }
  | { kind: 'root' }
  /** `<name>.key`: SEC1/PKCS#1, or encrypted PKCS#8 when a password is given. */
  | { kind: 'key'; password?: string };

export interface DownloadFile {
  filename: string;
  mime: string;
  bytes: Uint8Array;
  /** Whether the file holds the private key (saving one clears the page's warning). */
  containsKey: boolean;
}

async function material(node: EnrolledNode, crypto: Crypto): Promise<NodeMaterial> {
  return {
    name: node.token.claims.sub,
    rootPem: node.verified.rootPem,
    leafPem: node.verified.leafPem,
    intermediatesPem: node.verified.intermediatesPem,
    privateKey: await exportPkcs8(node.keys.privateKey, crypto),
  };
}

/** Builds one download. */
export async function buildDownload(node: EnrolledNode, req: DownloadRequest, crypto: Crypto = getCrypto()): Promise<DownloadFile> {
  const password = 'password' in req ? req.password : undefined;
  if (password !== undefined && [...password].length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`a passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const name = fileSafeName(node.token.claims.sub);
  const pem = (filename: string, text: string, containsKey = false): DownloadFile => ({
    filename,
    mime: 'application/x-pem-file',
    bytes: utf8(text),
    containsKey,
  });
  switch (req.kind) {
    case 'director-envoy':
      return { filename: `${name}-openfl-director-envoy.zip`, mime: 'application/zip', bytes: zipBundle(directorEnvoyFiles(await material(node, crypto))), containsKey: true };
    case 'aggregator':
      return {
        filename: `${name}-openfl-${req.role}.zip`,
        mime: 'application/zip',
        bytes: zipBundle(aggregatorWorkflowFiles(await material(node, crypto), req.role)),
        containsKey: true,
      };
    case 'pkcs12': {
      const m = await material(node, crypto);
      const certificates = [m.leafPem, ...m.intermediatesPem, m.rootPem].flatMap(certificatesFromPem);
      const bytes = await createPkcs12({ privateKey: m.privateKey, certificates, password: req.password, friendlyName: m.name }, crypto);
      return { filename: `${name}.p12`, mime: 'application/x-pkcs12', bytes, containsKey: true };
    }
    case 'certificate':
      return pem(`${name}.crt`, node.verified.chainPem);
    case 'root':
      return pem('root_ca.crt', node.verified.rootPem);
    case 'key': {
      const pkcs8 = await exportPkcs8(node.keys.privateKey, crypto);
      const text = req.password
        ? toPem(await encryptPrivateKey(pkcs8, req.password, {}, crypto), 'ENCRYPTED PRIVATE KEY')
        : traditionalPrivateKeyPem(pkcs8);
      return pem(`${name}.key`, text, true);
    }
  }
}
