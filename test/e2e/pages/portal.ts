/**
 * Page objects for the portal: each knows one page's URL and how a person uses it
 * (by label and role, as a screen reader would), so the tests read as the steps.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

/** With FEDPKI_SCREENSHOTS=<dir>, saves each page at desktop and phone width. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.FEDPKI_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width > 600 ? 900 : 844 });
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

export class LoginPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.origin}/login`);
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.page.getByLabel('User name').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /**
   * A sign-in that should fail: returns the message shown. The form empties the
   * password field once the server has answered, which is what this waits for.
   */
  async attempt(username: string, password: string): Promise<string> {
    await this.signIn(username, password);
    await this.page.waitForFunction(() => (document.querySelector('input[name="password"]') as HTMLInputElement | null)?.value === '');
    return this.error().innerText();
  }

  /** Signs in and waits for the dashboard. */
  async signInAs(username: string, password: string): Promise<void> {
    await this.goto();
    await this.signIn(username, password);
    await this.page.waitForURL(`${this.origin}/`);
  }

  /** The message above the form (Next.js's route announcer is an alert too). */
  error() {
    return this.page.getByRole('form', { name: 'Sign in' }).getByRole('alert');
  }
}

/** The session cookie of a browser context, as a Cookie header. */
export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies())
    .filter((c) => c.name.includes('next-auth.session-token'))
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
}
