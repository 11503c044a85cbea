/** The enrollment page, as a person uses it: paste a token, pick a key, download files. */

import { join } from 'node:path';
import type { Locator, Page, Request } from 'playwright-core';
import type { KeySpec } from '@/lib/pki/keys';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export class EnrollPage {
  readonly requests: RecordedRequest[] = [];
  readonly consoleErrors: string[] = [];

  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {
    page.on('request', (r: Request) => {
      this.requests.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postDataBuffer() ?? Buffer.alloc(0) });
    });
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
  }

  async open(fragment?: string): Promise<void> {
    await this.page.goto(`${this.origin}/enroll${fragment ? `#${fragment}` : ''}`);
    await this.page.getByRole('heading', { name: 'Enroll a node' }).waitFor();
  }

  get tokenField(): Locator {
    return this.page.getByLabel('Enrollment token');
  }

  /** Types the token and asks the page to check it. */
  async enterToken(token: string): Promise<void> {
    await this.tokenField.fill(token);
    await this.page.getByRole('button', { name: 'Check the token' }).click();
  }

  /** The token card once a token is accepted. */
  get summary(): Locator {
    return this.page.locator('section[aria-labelledby="step-token"]');
  }

  /** The root fingerprint exactly as the page prints it (the text a person would copy). */
  async fingerprint(): Promise<string> {
    return ((await this.page.getByTestId('fingerprint').textContent()) ?? '').trim();
  }

  /** The refusal shown on the page (role=alert), with its code. */
  refusal(code?: string): Locator {
    return code ? this.page.locator(`[role=alert][data-code="${code}"]`) : this.page.locator('[role=alert]');
  }

  get generateButton(): Locator {
    return this.page.getByRole('button', { name: 'Make my key and get the certificate' });
  }

  /** Picks the key type and starts; resolves when the certificate is ready or a refusal shows. */
  async generate(spec: KeySpec): Promise<'done' | 'refused'> {
    await this.page.locator(`input[name=key][value="${spec}"]`).check();
    await this.generateButton.click();
    const done = this.page.getByRole('heading', { name: 'Your certificate is ready' });
    const refused = this.page.locator('section[aria-labelledby="step-key"] [role=alert]');
    await done.or(refused).first().waitFor({ timeout: 90_000 });
    return (await done.isVisible()) ? 'done' : 'refused';
  }

  async chooseRole(role: 'collaborator' | 'aggregator'): Promise<void> {
    await this.page.locator(`input[name=role][value="${role}"]`).check();
  }

  /** Clicks a download button and saves the file in `dir` under its suggested name. */
  async download(id: string, dir: string): Promise<string> {
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 60_000 }), this.page.locator(`[data-download="${id}"]`).click()]);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    return path;
  }

  /** Fills one of the passphrase forms (the .p12 one or the encrypted-key one) and downloads. */
  async downloadWithPassphrase(which: 'p12' | 'key', passphrase: string, dir: string): Promise<string> {
    if (which === 'key') await this.page.getByLabel('Encrypt the private key with a passphrase (PKCS#8)').check();
    const button = this.page.getByRole('button', { name: which === 'p12' ? /^Download .*\.p12$/ : /^Download .*\.key \(encrypted\)$/ });
    const form = this.page.locator('form', { has: button });
    await form.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await form.getByLabel('The same passphrase again').fill(passphrase);
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 90_000 }), button.click()]);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    return path;
  }
}
