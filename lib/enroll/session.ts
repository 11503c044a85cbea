/**
 * The enrollment page's sequence on top of client.ts: read the token for display,
 * then key + CSR → POST /sign → verification, reporting each step. The only request
 * is the POST, carrying `{csr, ott}`; cookies and referrer are left out. Loaded by the
 * page on first use (it pulls in pkijs), never at first paint.
 */

import { CaError, isCaError } from '../ca/errors';
import { readCertificate } from '../pki/certificate';
import { getCrypto } from '../pki/crypto';
import { groupColonHex } from '../pki/encoding';
import type { KeySpec } from '../pki/keys';
import { prepareEnrollment, readEnrollmentToken, verifyEnrollment, type InspectedToken, type SignResponse, type VerifiedEnrollment } from './client';
import { NETWORK_REFUSAL, describeRefusal, verificationRefusal, type Refusal } from './messages';

/** An error that carries the sentence to show. */
export class RefusalError extends Error {
  override name = 'RefusalError';
  constructor(readonly refusal: Refusal) {
    super(refusal.title);
  }
}

export interface TokenSummary {
  subject: string;
  sans: string[];
  /** The federation's name, from its root certificate's subject (O, else CN). */
  federation: string;
  /** Where the token says the CA is. */
  caOrigin: string;
  expiresAt: Date;
  /** SHA-256 of the root, lowercase hex. */
  rootFingerprint: string;
  /**
   * The fingerprint as the portal and `openssl x509 -fingerprint -sha256` print it
   * (B1:E6:…), in groups of four bytes for reading aloud; joined with ':' it is whole.
   */
  fingerprintGroups: string[];
}

export interface ReadToken {
  token: InspectedToken;
  summary: TokenSummary;
}

function federationName(rootDer: Uint8Array): string {
  try {
    const subject = readCertificate(rootDer).subject;
    const org = subject.attributes.find((a) => a.type === '2.5.4.10')?.value;
    return org ?? subject.commonName?.replace(/ Root CA$/, '') ?? subject.text;
  } catch {
    throw new RefusalError(describeRefusal('token_malformed', 401, 'The root certificate inside the token cannot be read.'));
  }
}

/**
 * Decodes and checks a pasted token locally (shape, root fingerprint, expiry).
 * @throws RefusalError with the sentence to show
 */
export async function readTokenForPage(text: string, now = new Date(), crypto: Crypto = getCrypto()): Promise<ReadToken> {
  let token: InspectedToken;
  try {
    token = await readEnrollmentToken(text, now, crypto);
  } catch (e) {
    if (isCaError(e)) throw new RefusalError(describeRefusal(e.code, e.status, e.message));
    throw new RefusalError(describeRefusal('token_malformed', 401));
  }
  return {
    token,
    summary: {
      subject: token.claims.sub,
      sans: token.claims.sans,
      federation: federationName(token.rootDer),
      caOrigin: token.caOrigin,
      expiresAt: token.expiresAt,
      rootFingerprint: token.rootFingerprint,
      fingerprintGroups: groupColonHex(token.rootFingerprint, 4),
    },
  };
}

export interface SignTransport {
  /** Default is `/sign` on the page's own origin (the CSP allows nothing else). */
  endpoint?: string;
  fetch?: typeof fetch;
}

/**
 * POSTs `{csr, ott}` and returns the CA's answer.
 * @throws RefusalError for a refusal or a network failure
 */
export async function postSignRequest(csrPem: string, jwt: string, o: SignTransport = {}): Promise<SignResponse> {
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  let res: Response;
  try {
    res = await doFetch(o.endpoint ?? '/sign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ csr: csrPem, ott: jwt }),
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
  } catch {
    throw new RefusalError(NETWORK_REFUSAL);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { code?: unknown; message?: unknown };
    throw new RefusalError(describeRefusal(typeof b.code === 'string' ? b.code : undefined, res.status, typeof b.message === 'string' ? b.message : undefined));
  }
  const answer = body as Partial<SignResponse> | undefined;
  if (typeof answer?.crt !== 'string' || typeof answer.ca !== 'string') {
    throw new RefusalError(describeRefusal('internal', 500, 'The answer did not contain a certificate.'));
  }
  return answer as SignResponse;
}

export type EnrollStep = 'prepare' | 'submit' | 'verify';

export interface EnrolledNode {
  token: InspectedToken;
  keySpec: KeySpec;
  keys: CryptoKeyPair;
  verified: VerifiedEnrollment;
  /** Milliseconds each step took. */
  timings: Record<EnrollStep, number>;
}

export interface EnrollOptions extends SignTransport {
  onStep?: (step: EnrollStep) => void;
}

/**
 * Makes the key and CSR here, gets them signed, and verifies the answer.
 * @throws RefusalError with the sentence to show; the key is then dropped
 */
export async function requestCertificate(token: InspectedToken, keySpec: KeySpec, o: EnrollOptions = {}, crypto: Crypto = getCrypto()): Promise<EnrolledNode> {
  const timings: Record<EnrollStep, number> = { prepare: 0, submit: 0, verify: 0 };
  const timed = async <T>(step: EnrollStep, run: () => Promise<T>): Promise<T> => {
    o.onStep?.(step);
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      timings[step] = performance.now() - t0;
    }
  };
  const prepared = await timed('prepare', () => prepareEnrollment(token, keySpec, crypto));
  const answer = await timed('submit', () => postSignRequest(prepared.csrPem, token.jwt, o));
  const verified = await timed('verify', async () => {
    try {
      return await verifyEnrollment(token, prepared, answer, crypto);
    } catch (e) {
      throw new RefusalError(verificationRefusal(e instanceof CaError || isCaError(e) ? e.message : 'the certificate could not be read.'));
    }
  });
  return { token, keySpec, keys: prepared.keys, verified, timings };
}
