/**
 * The filter and sort vocabularies of the portal's lists: plain constants with no
 * imports, shared by the queries (which run in the server bundle) and the pages that
 * offer them (which may import this file, and only this one, from db/).
 */

export const CERTIFICATE_SORTS = ['newest', 'oldest', 'expiry', 'expiry_desc', 'name'] as const;
export type CertificateSort = (typeof CERTIFICATE_SORTS)[number];

/** valid = not revoked and not expired; expired = past notAfter, never revoked. */
export const CERTIFICATE_STATUSES = ['valid', 'expired', 'revoked'] as const;
export type CertificateListStatus = (typeof CERTIFICATE_STATUSES)[number];

/** pending/used/cancelled as stored, plus expired: pending past its expiry. */
export const TOKEN_LIST_STATES = ['pending', 'used', 'expired', 'cancelled'] as const;
export type TokenListState = (typeof TOKEN_LIST_STATES)[number];

/** sign = an enrollment token (a node gets a certificate); revoke = `fedpki get-token --revoke` (subject: the serial in decimal). */
export const TOKEN_KINDS = ['sign', 'revoke'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
