import { describe, expect, it } from 'vitest';
import { CA_ERROR_STATUS, type CaErrorCode } from '../ca/errors';
import { describeRefusal } from './messages';

/** Every refusal POST /sign can give for a token or a CSR the page built. */
const SIGN_REFUSALS: CaErrorCode[] = [
  'token_malformed',
  'token_algorithm_refused',
  'token_key_unknown',
  'token_signature_invalid',
  'token_issuer_invalid',
  'token_audience_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_claims_invalid',
  'token_unknown',
  'token_used',
  'token_cancelled',
  'federation_disabled',
  'csr_name_mismatch',
  'csr_san_mismatch',
  'policy_key_weak',
  'policy_key_unsupported',
  'policy_name_invalid',
  'policy_validity',
  'rate_limited',
  'unavailable',
];

describe('describeRefusal', () => {
  it.each(SIGN_REFUSALS)('%s has its own sentence and a next step', (code) => {
    const r = describeRefusal(code, CA_ERROR_STATUS[code], 'detail from the CA');
    expect(r.title).not.toMatch(/could not (read|complete) the request/);
    expect(r.action.length).toBeGreaterThan(10);
    expect(r.detail).toBe('detail from the CA');
  });

  it('only a weak or unsupported key invites another key; dead tokens ask for a new one', () => {
    expect(describeRefusal('policy_key_weak', 403).remedy).toBe('other-key');
    expect(describeRefusal('policy_key_unsupported', 403).remedy).toBe('other-key');
    for (const code of ['token_used', 'token_expired', 'token_cancelled'] as const) expect(describeRefusal(code, 401).remedy).toBe('new-token');
    expect(describeRefusal('federation_disabled', 401).remedy).toBe('contact-admin');
  });

  it('unknown codes fall back on the status', () => {
    expect(describeRefusal('new_code', 400).title).toBe('The certificate authority could not read the request.');
    expect(describeRefusal(undefined, 503)).toMatchObject({ code: 'http_503', title: 'The certificate authority could not complete the request.', remedy: 'retry' });
  });
});
