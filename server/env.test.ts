import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

describe('parseEnv', () => {
  it('ok/switches and the synchronous setting in any case', () => {
    expect(parseEnv({ FEDPKI_TRUST_PROXY: 'TRUE' }).FEDPKI_TRUST_PROXY).toBe(true);
    expect(parseEnv({ FEDPKI_TRUST_PROXY: 'No' }).FEDPKI_TRUST_PROXY).toBe(false);
    expect(parseEnv({}).FEDPKI_TRUST_PROXY).toBe(false);
    expect(parseEnv({ FEDPKI_DB_SYNCHRONOUS: 'normal' }).FEDPKI_DB_SYNCHRONOUS).toBe('NORMAL');
    expect(parseEnv({}).FEDPKI_DB_SYNCHRONOUS).toBe('FULL');
  });

  it('ok/a secret from a variable loses one trailing newline, as one from a file does', () => {
    expect(parseEnv({ FEDPKI_CA_PASSWORD: 'correct horse\n' }).FEDPKI_CA_PASSWORD).toBe('correct horse');
    expect(parseEnv({ FEDPKI_CA_PASSWORD: 'correct horse\r\n' }).FEDPKI_CA_PASSWORD).toBe('correct horse');
    expect(parseEnv({ FEDPKI_ADMIN_PASSWORD: 'admin password 1\n' }).FEDPKI_ADMIN_PASSWORD).toBe('admin password 1');
    // Only one, and only at the end: the rest is the secret.
    expect(parseEnv({ FEDPKI_CA_PASSWORD: ' two\n\n' }).FEDPKI_CA_PASSWORD).toBe(' two\n');
    expect(() => parseEnv({ FEDPKI_CA_PASSWORD: '\n' })).toThrow(/FEDPKI_CA_PASSWORD/);
  });

  it('ok/host names and IPs in FEDPKI_HOSTNAMES', () => {
    expect(parseEnv({ FEDPKI_HOSTNAMES: 'ca.example.org, 10.0.0.1,::1,fedpki' }).FEDPKI_HOSTNAMES).toBeDefined();
  });

  it.each([
    ['FEDPKI_HOSTNAMES', 'bad name,*,-x-', /FEDPKI_HOSTNAMES: a comma-separated list of host names/],
    ['FEDPKI_HOSTNAMES', 'under_score.example', /FEDPKI_HOSTNAMES/],
    ['FEDPKI_TRUST_PROXY', 'maybe', /FEDPKI_TRUST_PROXY/],
    ['FEDPKI_DB_SYNCHRONOUS', 'OFF', /FEDPKI_DB_SYNCHRONOUS/],
    ['DATABASE_URL', 'mysql://user:secret@db/fedpki', /DATABASE_URL: use postgres:\/\//],
  ])('fail/%s=%j is refused, naming the variable and not its value', (name, value, message) => {
    let error: Error | undefined;
    try {
      parseEnv({ [name]: value });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(value);
  });

  it('ok/DATABASE_URL: PostgreSQL URLs and file paths', () => {
    for (const url of ['postgres://u:p@db/fedpki', 'postgresql://db/fedpki', '/var/lib/fedpki/fedpki.db', 'file:/tmp/x.db', 'file:///tmp/x.db', 'data/fedpki.db']) {
      expect(parseEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
  });

  it('fail/single sign-on set up by halves, or with a role map that cannot be read, is refused at start', () => {
    expect(() => parseEnv({ OIDC_ISSUER: 'https://idp.example.org' })).toThrow(
      /^Invalid environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together$/,
    );
    expect(() => parseEnv({ OIDC_CLIENT_SECRET: 'shh' })).toThrow(/OIDC_ISSUER, OIDC_CLIENT_ID: single sign-on needs/);
    expect(() => parseEnv({ OIDC_ROLE_MAP: 'garbage' })).toThrow(/OIDC_ROLE_MAP: "garbage" is not pattern=role/);
    const full = { OIDC_ISSUER: 'https://idp.example.org', OIDC_CLIENT_ID: 'fedpki', OIDC_CLIENT_SECRET: 'shh', OIDC_ROLE_MAP: 'alice@example.org=admin,*@example.org=auditor' };
    expect(parseEnv(full).OIDC_ROLE_MAP).toBe(full.OIDC_ROLE_MAP);
    expect(parseEnv({}).OIDC_ISSUER).toBeUndefined();
  });
});
