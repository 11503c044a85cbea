import { describe, expect, it } from 'vitest';
import { parseRoleMap, roleForEmail } from './sso';

describe('single-sign-on role map', () => {
  const rules = parseRoleMap('alice@example.org=admin, *@example.org=auditor, bob@partner.net=operator');

  it('ok/an exact address wins over its domain', () => {
    expect(roleForEmail(rules, 'Alice@Example.org')).toBe('admin');
    expect(roleForEmail(rules, 'carol@example.org')).toBe('auditor');
    expect(roleForEmail(rules, 'bob@partner.net')).toBe('operator');
  });

  it('fail/an address outside the allow-list gets no role', () => {
    expect(roleForEmail(rules, 'mallory@partner.net')).toBeUndefined();
    expect(roleForEmail(rules, 'alice@example.org.evil.com')).toBeUndefined();
    expect(roleForEmail([], 'alice@example.org')).toBeUndefined();
  });

  it('ok/* admits everyone the provider signs in', () => {
    expect(roleForEmail(parseRoleMap('*=auditor'), 'anyone@anywhere.io')).toBe('auditor');
  });

  it('fail/malformed pairs are refused with the pair named', () => {
    expect(() => parseRoleMap('alice@example.org=root')).toThrow(/alice@example.org=root/);
    expect(() => parseRoleMap('admin')).toThrow(/admin/);
    expect(() => parseRoleMap('*.example.org=admin')).toThrow();
  });
});
