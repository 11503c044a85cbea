import { describe, expect, it } from 'vitest';
import { ActivityType, auditEntry, jtiLabel } from './audit';
import { CA_ERROR_STATUS, CaError, isCaError, toErrorBody } from './errors';

describe('CaError', () => {
  it('ok/code, status and the JSON the step client decodes', () => {
    const e = new CaError('token_used', 'The token has already been used.', { cause: new Error('row') });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'CaError', code: 'token_used', status: 401 });
    expect(e.toJSON()).toEqual({ status: 401, message: 'The token has already been used.', code: 'token_used' });
    expect(JSON.stringify(e)).toBe('{"status":401,"message":"The token has already been used.","code":"token_used"}');
    expect(new CaError('validation_failed', 'x', { fieldErrors: { ttl: ['too long'] } }).toJSON()).toEqual({ status: 422, message: 'x', code: 'validation_failed', fieldErrors: { ttl: ['too long'] } });
  });

  it.each<[keyof typeof CA_ERROR_STATUS, number]>([
    ['csr_malformed', 400],
    ['token_expired', 401],
    ['federation_disabled', 401],
    ['csr_san_mismatch', 403],
    ['policy_key_weak', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['body_too_large', 413],
    ['unsupported_media_type', 415],
    ['internal', 500],
    ['unavailable', 503],
  ])('ok/%s is HTTP %i', (code, status) => {
    expect(new CaError(code, 'm').status).toBe(status);
  });

  it('ok/isCaError recognises another bundle copy by its brand, nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('fedpki.CaError')]: true, code: 'conflict' });
    expect(isCaError(foreign)).toBe(true);
    expect(isCaError(new CaError('conflict', 'x'))).toBe(true);
    expect(isCaError(Object.assign(new Error('x'), { code: 'conflict' }))).toBe(false);
    expect(isCaError(null)).toBe(false);
    expect(isCaError('conflict')).toBe(false);
  });

  it('ok/toErrorBody hides anything that is not a CaError', () => {
    expect(toErrorBody(new CaError('not_found', 'No such token.'))).toEqual({ status: 404, message: 'No such token.', code: 'not_found' });
    const body = toErrorBody(new Error('SQLITE_BUSY: database is locked at /data/fedpki.db'));
    expect(body).toEqual({ status: 500, message: 'The certificate authority could not complete the request.', code: 'internal' });
  });
});

describe('audit entries', () => {
  it('ok/defaults: success, nulls', () => {
    const at = new Date(0);
    expect(auditEntry(ActivityType.CA_STARTED, { at, actor: 'system' })).toEqual({ action: 'CA_STARTED', at, actor: 'system', sourceIp: null, federationId: null, target: null, outcome: 'success', details: null });
    expect(auditEntry(ActivityType.TOKEN_REFUSED, { at, actor: 'token:x', outcome: 'failure', details: { code: 'token_used' } })).toMatchObject({ outcome: 'failure', details: { code: 'token_used' } });
  });

  it('ok/jtiLabel is a 12-character prefix', () => {
    expect(jtiLabel('0123456789abcdef'.repeat(4))).toBe('0123456789ab');
  });
});
