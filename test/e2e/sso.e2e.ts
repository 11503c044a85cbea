/**
 * Single sign-on through an OpenID Connect provider configured by environment
 * variables: an address on the allow-list gets an account with the mapped role and a
 * session; an address off the list is refused with a sentence; both are audited.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../helpers/browser';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider';
import { TEST_ADMIN_PASSWORD, freePort, startFedpki, type Fedpki } from '../helpers/server';
import { signOut } from './pages/portal';

let srv: Fedpki;
let idp: TestOidcProvider;
let browser: LaunchedBrowser;
let page: Page;

function query<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(srv.dataDir, 'fedpki.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  idp = await startOidcProvider(await freePort());
  srv = await startFedpki({
    apiOnly: false,
    env: {
      FEDPKI_ADMIN_USERNAME: 'admin',
      FEDPKI_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_NAME: 'Example IdP',
      OIDC_ROLE_MAP: 'sso.operator@example.org=operator,*@partner.example=auditor',
    },
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  srv?.cleanup();
  await idp?.close();
});

async function signInWithIdp() {
  await page.goto(`${srv.origin}/login`);
  await page.getByRole('button', { name: 'Sign in with Example IdP' }).click();
}

describe('single sign-on', () => {
  it('admits an allow-listed address with its mapped role', async () => {
    idp.signInAs({ sub: 'u-1', email: 'SSO.Operator@example.org', name: 'Sso Operator' });
    await signInWithIdp();
    await page.waitForURL(`${srv.origin}/`);
    expect(await page.locator('.user-menu .role').textContent()).toBe('operator');
    expect(query('select username, role, provider, password_hash from users where provider = ?', 'oidc')).toEqual([
      { username: 'sso.operator@example.org', role: 'operator', provider: 'oidc', password_hash: null },
    ]);
    expect(query<{ details: string }>("select details from audit_log where action = 'SIGN_IN'").map((r) => JSON.parse(r.details))).toEqual([{ provider: 'oidc' }]);
    // An operator: the mint form is there.
    await page.goto(`${srv.origin}/tokens`);
    expect(await page.getByRole('form', { name: 'Mint an enrollment token' }).count()).toBe(1);
    await signOut(page);
  });

  it('refuses an address that is not on the allow-list, and says why', async () => {
    idp.signInAs({ sub: 'u-2', email: 'mallory@elsewhere.example' });
    await signInWithIdp();
    await page.waitForURL(/\/login\?/);
    expect(await page.getByRole('form', { name: 'Sign in' }).getByRole('alert').innerText()).toContain('not allowed into this portal');
    expect(query("select count(*) n from users where username like 'mallory%'")).toEqual([{ n: 0 }]);
    expect(query<{ target: string; details: string }>("select target, details from audit_log where action = 'SIGN_IN_FAILED'")).toEqual([
      { target: 'mallory@elsewhere.example', details: JSON.stringify({ reason: 'sso_denied' }) },
    ]);
  });

  it('keeps password sign-in working beside it', async () => {
    await page.goto(`${srv.origin}/login`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${srv.origin}/`);
  });
});
