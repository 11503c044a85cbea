/**
 * The files an enrolled node needs, laid out for OpenFL's two workflows, and the zip
 * that carries them out of the browser (fflate; nothing leaves the page but a Blob).
 *
 * - Director/Envoy (and the Workflow API's FederatedRuntime): what `fx pki certify`
 *   writes — `cert/root_ca.crt`, `cert/<name>.crt` (leaf then intermediate) and
 *   `cert/<name>.key` — the paths `fx director start` / `fx envoy start` take with
 *   `-rc/-oc/-pk`.
 * - Aggregator-based (Task Runner): the names OpenFL's plan looks for —
 *   `cert/cert_chain.crt` (root then intermediate, the trust bundle of both sides),
 *   `cert/client/col_<name>.{crt,key}` for a collaborator, and
 *   `cert/server/agg_<fqdn>.{crt,key}` for the aggregator (plan.py lowercases agg_addr).
 *   The leaf file holds the leaf only, as OpenFL's own certify writes it: the
 *   intermediate reaches the peer through cert_chain.crt.
 *
 * Keys are written as step and OpenFL write them: SEC1 "EC PRIVATE KEY" or PKCS#1
 * "RSA PRIVATE KEY", unencrypted, with mode 0600 recorded in the zip.
 */

import { zipSync, type Zippable } from 'fflate';
import { traditionalPrivateKeyPem } from '../pki/key-formats';
import { utf8 } from '../pki/encoding';
import { parseIp } from '../pki/extensions/subject-alt-name';
import type { NodeRole } from '../ca/types';
import { fileSafeName } from './file-name';

export type OpenflRole = 'collaborator' | 'aggregator';

/**
 * The side and the workflow of the role the admin chose, when the token names one
 * (FedPKI's `role` claim): a director or an aggregator is the server side, an envoy or a
 * collaborator the client side; the envoy and director run the Director/Envoy
 * workflow, the others the aggregator-based one. API nodes and others: undefined.
 */
export function roleFromToken(role: NodeRole | undefined): { side: OpenflRole; workflow: 'director-envoy' | 'aggregator' } | undefined {
  switch (role) {
    case 'aggregator':
      return { side: 'aggregator', workflow: 'aggregator' };
    case 'collaborator':
      return { side: 'collaborator', workflow: 'aggregator' };
    case 'director':
      return { side: 'aggregator', workflow: 'director-envoy' };
    case 'envoy':
      return { side: 'collaborator', workflow: 'director-envoy' };
    default:
      return undefined;
  }
}

export interface NodeMaterial {
  /** The node's name: the token subject and the certificate CN. */
  name: string;
  rootPem: string;
  leafPem: string;
  /** Issuers of the leaf below the root, nearest first. */
  intermediatesPem: readonly string[];
  /** The private key as PKCS#8 PrivateKeyInfo DER. */
  privateKey: Uint8Array;
}

export interface BundleFile {
  path: string;
  content: string;
  /** Unix permissions: 0o600 for keys and for `fx pki certify`'s certificate, else 0o644. */
  mode: number;
}

export { fileSafeName };

/** `fx pki certify`'s layout, for the Director/Envoy workflow. */
export function directorEnvoyFiles(m: NodeMaterial): BundleFile[] {
  const name = fileSafeName(m.name);
  return [
    { path: 'cert/root_ca.crt', content: m.rootPem, mode: 0o644 },
    { path: `cert/${name}.crt`, content: m.leafPem + m.intermediatesPem.join(''), mode: 0o600 },
    { path: `cert/${name}.key`, content: traditionalPrivateKeyPem(m.privateKey), mode: 0o600 },
  ];
}

/** OpenFL's plan paths for the aggregator-based workflow. */
export function aggregatorWorkflowFiles(m: NodeMaterial, role: OpenflRole): BundleFile[] {
  const base = role === 'aggregator' ? `cert/server/agg_${fileSafeName(m.name.toLowerCase())}` : `cert/client/col_${fileSafeName(m.name)}`;
  return [
    { path: 'cert/cert_chain.crt', content: m.rootPem + [...m.intermediatesPem].reverse().join(''), mode: 0o644 },
    { path: `${base}.crt`, content: m.leafPem, mode: 0o644 },
    { path: `${base}.key`, content: traditionalPrivateKeyPem(m.privateKey), mode: 0o600 },
  ];
}

/**
 * Which side of the aggregator workflow a subject probably is: an FQDN, "localhost" or
 * an IP address (or IP SANs) suggests the aggregator, a bare name a collaborator. For
 * tokens that name no role (older ones); the page lets the user change it.
 */
export function guessRole(subject: string, sans: readonly string[] = []): OpenflRole {
  if (subject.includes('.') || subject.toLowerCase() === 'localhost' || parseIp(subject)) return 'aggregator';
  if (sans.some((s) => parseIp(s))) return 'aggregator';
  return 'collaborator';
}

/**
 * Zips files with their Unix modes (unzip and Info-ZIP restore them).
 * @param mtime - the date stamped on every entry. Default is now.
 */
export function zipBundle(files: readonly BundleFile[], mtime: Date = new Date()): Uint8Array {
  const entries: Zippable = {};
  for (const f of files) {
    entries[f.path] = [utf8(f.content), { os: 3, attrs: ((0o100000 | f.mode) << 16) >>> 0, mtime, level: 6 }];
  }
  return zipSync(entries);
}
