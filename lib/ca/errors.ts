/**
 * One error type for the whole CA, with string codes. `lib/ca` throws it; each edge
 * translates it: route handlers answer `{status, message, code}` (the JSON shape the
 * step client decodes), server actions return `{ error }`, the CLI exits non-zero.
 * Messages are written to be shown to the person on the other side; anything that
 * must not leave the server goes in `cause`, which is only logged.
 */

export const CA_ERROR_STATUS = {
  // 400 — the request itself is malformed
  bad_request: 400,
  csr_missing: 400,
  csr_malformed: 400,
  csr_signature_invalid: 400,
  csr_signature_algorithm_unsupported: 400,
  ott_missing: 400,
  serial_invalid: 400,
  already_revoked: 400,
  wrong_password: 400,
  // 401 — the token (or client certificate) is refused
  token_malformed: 401,
  token_algorithm_refused: 401,
  token_key_unknown: 401,
  token_signature_invalid: 401,
  token_issuer_invalid: 401,
  token_audience_invalid: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_claims_invalid: 401,
  token_unknown: 401,
  token_used: 401,
  token_cancelled: 401,
  federation_disabled: 401,
  unauthenticated: 401,
  certificate_revoked: 401,
  certificate_expired: 401,
  // 403 — the request does not fit the token or policy
  csr_name_mismatch: 403,
  csr_san_mismatch: 403,
  policy_key_weak: 403,
  policy_key_compromised: 403,
  policy_key_unsupported: 403,
  policy_validity: 403,
  policy_name_invalid: 403,
  forbidden: 403,
  // others
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
  unavailable: 503,
} as const;

export type CaErrorCode = keyof typeof CA_ERROR_STATUS;

const BRAND = Symbol.for('fedpki.CaError');

export interface CaErrorBody {
  status: number;
  message: string;
  code: CaErrorCode;
  fieldErrors?: Record<string, string[]>;
}

export class CaError extends Error {
  override name = 'CaError';
  readonly code: CaErrorCode;
  readonly status: number;
  readonly fieldErrors?: Record<string, string[]>;
  readonly [BRAND] = true;

  constructor(code: CaErrorCode, message: string, options: { cause?: unknown; fieldErrors?: Record<string, string[]> } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = CA_ERROR_STATUS[code];
    this.fieldErrors = options.fieldErrors;
  }

  toJSON(): CaErrorBody {
    const body: CaErrorBody = { status: this.status, message: this.message, code: this.code };
    if (this.fieldErrors) body.fieldErrors = this.fieldErrors;
    return body;
  }
}

/**
 * Brand check that works across bundles: the Next.js server bundle and the custom
 * server bundle each have their own copy of this class.
 */
export function isCaError(e: unknown): e is CaError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** What an edge may show for any error: CaErrors as they are, everything else generic. */
export function toErrorBody(e: unknown): CaErrorBody {
  if (isCaError(e)) return e.toJSON();
  return { status: 500, message: 'The certificate authority could not complete the request.', code: 'internal' };
}
