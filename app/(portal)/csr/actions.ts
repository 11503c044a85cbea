'use server';

import { revalidatePath } from 'next/cache';
import { CaError, isCaError } from '@/lib/ca/errors';
import { csrSigningNames } from '@/lib/ca/policy';
import { checkCsr } from '@/lib/ca/issue';
import { OpenflPackageError, openflCsrHash, readCertRequestZip } from '@/lib/openfl/manual';
import { parseCsrInput } from '@/lib/pki/csr';
import { fromPem, toPem } from '@/lib/pki/pem';
import { describePublicKey } from '@/lib/pki/spki';
import type { ActionState } from '@/app/_lib/action-state';
import { validatedActionWithUser } from '@/app/_lib/action';
import { runtime } from '@/app/_lib/runtime';
import { inspectCsrSchema, signCsrSchema } from './schema';

export interface InspectedCsr {
  /** The request as canonical PEM, carried to the sign step. */
  csr: string;
  packaged: 'zip' | 'pem';
  fileName?: string;
  subject: string;
  commonName: string;
  sans: string[];
  key: string;
  signatureAlgorithm: string;
  /** SHA-384 of the CSR PEM: what `fx` prints as the CSR hash. */
  sha384: string;
  /** Things the person signing should notice. */
  notes: string[];
  /** Why it cannot be signed (its names), when it cannot. */
  refusal?: string;
}

function readCsr(bytes: Uint8Array) {
  try {
    return parseCsrInput(bytes);
  } catch {
    throw new CaError('csr_malformed', 'This is not a readable CSR (PKCS#10 request), in PEM or DER.', { fieldErrors: { csrText: ['This is not a readable CSR.'] } });
  }
}

/** Reads a pasted or uploaded CSR (or OpenFL request zip) and shows what signing it would certify. */
export const inspectCsrAction = validatedActionWithUser(inspectCsrSchema, 'csr:sign', async (input): Promise<ActionState<InspectedCsr>> => {
  let bytes: Uint8Array;
  let packaged: 'zip' | 'pem' = 'pem';
  let fileName: string | undefined;
  let packageName: string | undefined;
  if (input.csrFile) {
    bytes = new Uint8Array(await input.csrFile.arrayBuffer());
    fileName = input.csrFile.name;
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      try {
        const pkg = readCertRequestZip(bytes);
        bytes = pkg.csr;
        packaged = 'zip';
        packageName = pkg.name;
        fileName = `${input.csrFile.name} → ${pkg.fileName}`;
      } catch (e) {
        if (e instanceof OpenflPackageError) throw new CaError('csr_malformed', e.message, { fieldErrors: { csrFile: [e.message] } });
        throw e;
      }
    }
  } else {
    bytes = new TextEncoder().encode(input.csrText);
  }
  const parsed = readCsr(bytes);
  const csr = await checkCsr(parsed);
  // Said now, as signing would refuse it, rather than after the hash is confirmed.
  let refusal: string | undefined;
  try {
    csrSigningNames(csr);
  } catch (e) {
    if (!isCaError(e)) throw e;
    refusal = e.message;
  }
  const commonName = csr.subject.commonName ?? '';
  const notes: string[] = [];
  if (packageName && commonName && packageName !== commonName) {
    notes.push(`The file is named for “${packageName}” but the CSR says “${commonName}”; the certificate and the files returned use “${commonName}”.`);
  }
  const sans = [...csr.sans.dns.map((d) => `DNS:${d}`), ...csr.sans.ip.map((i) => `IP:${i}`), ...csr.sans.email.map((e) => `email:${e}`), ...csr.sans.uri.map((u) => `URI:${u}`)];
  if (sans.length === 0 && commonName) notes.push(`The CSR asks for no alternative names; the certificate will carry DNS:${commonName}.`);
  return {
    ok: true,
    data: {
      csr: toPem(csr.der, 'CERTIFICATE REQUEST'),
      packaged,
      fileName,
      subject: csr.subject.text,
      commonName,
      sans,
      key: describePublicKey(csr.publicKey),
      signatureAlgorithm: csr.signatureAlgorithm?.name ?? csr.signatureAlgorithmOid,
      sha384: await openflCsrHash(csr.der),
      notes,
      refusal,
    },
  };
});

export interface SignedCsr {
  serial: string;
  commonName: string;
  role: string;
  packaged: 'zip' | 'pem';
  federationId: string;
}

/** Signs the CSR under the same policy as the API's /sign, and records it (CSR_SIGNED). */
export const signCsrAction = validatedActionWithUser(signCsrSchema, 'csr:sign', async (input, user): Promise<ActionState<SignedCsr>> => {
  const der = fromPem(input.csr, 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
  if (!der) throw new CaError('csr_malformed', 'The request is not a PEM CSR; read it again.');
  const issued = await runtime().authority.signCsr(
    { federationId: input.federationId, csr: der, role: input.role, certSeconds: input.certValidityDays * 86_400 },
    { id: user.actorId, sourceIp: user.sourceIp },
  );
  revalidatePath('/certificates');
  return { ok: true, data: { serial: issued.record.serial, commonName: issued.record.commonName, role: issued.record.role, packaged: input.packaged, federationId: input.federationId } };
});
