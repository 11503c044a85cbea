/**
 * What the enrollment page tells a person when something is refused: one plain
 * sentence per cause, what to do next, and whether trying again can help. The CA's
 * own message (already written for people, see lib/ca/errors.ts) is kept as detail.
 */

/** What the person can do: try again as is, with another key type, or only with a new token. */
export type RefusalRemedy = 'retry' | 'other-key' | 'new-token' | 'contact-admin';

export interface Refusal {
  code: string;
  /** The sentence shown first. */
  title: string;
  /** What to do about it. */
  action: string;
  remedy: RefusalRemedy;
  /** The CA's (or the local check's) own words, when they add something. */
  detail?: string;
}

const NEW_TOKEN = 'Ask your administrator for a new token.';
const OTHER_CA =
  'It was made by another certificate authority, or changed after it was made. Check that you opened the enrollment page of the server named in the token, and that you copied the token your administrator sent.';

const TABLE: Record<string, Omit<Refusal, 'code' | 'detail'>> = {
  token_malformed: {
    title: 'This is not a whole enrollment token.',
    action: 'Copy it again, completely: it is one long line with a single dot in the middle. If it came in a link, open the whole link.',
    remedy: 'new-token',
  },
  token_expired: { title: 'This token has expired.', action: NEW_TOKEN, remedy: 'new-token' },
  token_not_yet_valid: {
    title: 'This token is not valid yet.',
    action: "Check that this computer's clock is right, then try again; or ask your administrator when it becomes valid.",
    remedy: 'retry',
  },
  token_used: {
    title: 'This token has already been used.',
    action: `A token works once. If you enrolled already, use the files you saved then; otherwise ${NEW_TOKEN.toLowerCase()}`,
    remedy: 'new-token',
  },
  token_cancelled: { title: 'Your administrator cancelled this token.', action: NEW_TOKEN, remedy: 'new-token' },
  federation_disabled: {
    title: 'The federation of this token has been disabled.',
    action: 'No certificates are issued for it any more. Ask your administrator whether it will be enabled again, or for a token of another federation.',
    remedy: 'contact-admin',
  },
  token_unknown: { title: 'This certificate authority has no record of this token.', action: OTHER_CA, remedy: 'new-token' },
  token_key_unknown: { title: 'This certificate authority did not make this token.', action: OTHER_CA, remedy: 'new-token' },
  token_signature_invalid: { title: 'The token’s signature is not valid.', action: OTHER_CA, remedy: 'new-token' },
  token_issuer_invalid: { title: 'The token names another issuer.', action: OTHER_CA, remedy: 'new-token' },
  token_audience_invalid: { title: 'The token is meant for another certificate authority.', action: OTHER_CA, remedy: 'new-token' },
  token_algorithm_refused: { title: 'The token is signed with an algorithm FedPKI does not accept.', action: OTHER_CA, remedy: 'new-token' },
  token_claims_invalid: { title: 'The token’s contents are not consistent.', action: OTHER_CA, remedy: 'new-token' },
  csr_name_mismatch: {
    title: 'The request does not carry the name the token was made for.',
    action: 'This page builds the request from the token, so this should not happen. Reload the page and try again; if it happens again, tell your administrator.',
    remedy: 'retry',
  },
  csr_san_mismatch: {
    title: 'The request’s alternative names differ from the token’s.',
    action: 'This page builds the request from the token, so this should not happen. Reload the page and try again; if it happens again, tell your administrator.',
    remedy: 'retry',
  },
  policy_key_weak: {
    title: 'This certificate authority does not accept keys this weak.',
    action: 'Choose a stronger key (ECDSA P-384 is the default) and try again. The token has not been used.',
    remedy: 'other-key',
  },
  policy_key_unsupported: {
    title: 'This certificate authority does not accept this kind of key.',
    action: 'Choose another key type (ECDSA P-384 is the default) and try again. The token has not been used.',
    remedy: 'other-key',
  },
  policy_name_invalid: {
    title: 'The name in the token is not allowed by this certificate authority’s policy.',
    action: NEW_TOKEN,
    remedy: 'new-token',
  },
  policy_validity: { title: 'The requested validity is not allowed by the policy.', action: NEW_TOKEN, remedy: 'new-token' },
  rate_limited: { title: 'Too many attempts from this address.', action: 'Wait a minute, then try again.', remedy: 'retry' },
  unavailable: { title: 'The certificate authority is not available right now.', action: 'Try again in a moment.', remedy: 'retry' },
};

const BAD_REQUEST = {
  title: 'The certificate authority could not read the request.',
  action: 'Reload the page and try again; if it happens again, tell your administrator.',
  remedy: 'retry',
} as const;

const SERVER_ERROR = {
  title: 'The certificate authority could not complete the request.',
  action: 'Try again in a moment. If it keeps failing, tell your administrator.',
  remedy: 'retry',
} as const;

/**
 * The refusal to show for a code from the CA (`{status, message, code}`) or from the
 * page's own token check.
 * @param detail - the CA's message; kept when it says more than the title
 */
export function describeRefusal(code: string | undefined, status: number, detail?: string): Refusal {
  const known = code ? TABLE[code] : undefined;
  const entry = known ?? (status >= 400 && status < 500 ? BAD_REQUEST : SERVER_ERROR);
  return { code: code ?? `http_${status}`, ...entry, ...(detail ? { detail } : {}) };
}

export const NETWORK_REFUSAL: Refusal = {
  code: 'network',
  title: 'The certificate authority could not be reached.',
  action: 'Check your network connection and try again. The token has not been used unless the CA received the request; if a new attempt says it was used, ask for a new token.',
  remedy: 'retry',
};

/** When the certificate returned does not pass the page's checks; it is not offered. */
export function verificationRefusal(detail: string): Refusal {
  return {
    code: 'verification_failed',
    title: 'The certificate the CA sent back did not pass this page’s checks, so it is not offered.',
    action: 'Do not use this token again: tell your administrator, who can see the issued certificate and revoke it.',
    remedy: 'contact-admin',
    detail,
  };
}
