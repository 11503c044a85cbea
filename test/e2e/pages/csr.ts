import type { Page } from 'playwright-core';

export class CsrPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.origin}/csr`);
  }

  async upload(file: string): Promise<void> {
    await this.page.getByLabel('Request file').setInputFiles(file);
    await this.page.getByRole('button', { name: 'Read request' }).click();
    await this.page.getByTestId('csr-hash').waitFor();
  }

  async paste(pem: string): Promise<void> {
    await this.page.getByLabel('Paste a PEM CSR').fill(pem);
    await this.page.getByRole('button', { name: 'Read request' }).click();
  }

  hash(): Promise<string> {
    return this.page.getByTestId('csr-hash').innerText();
  }

  async sign(p: { federation?: string; confirm?: boolean } = {}): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Sign the request' });
    if (p.federation) await form.getByLabel('Federation').selectOption({ label: p.federation });
    if (p.confirm !== false) await form.getByLabel(/same SHA-384 hash/).check();
    await form.getByRole('button', { name: /^Sign for/ }).click();
  }

  /** Clicks a download link and returns the saved file's path and suggested name. */
  async download(name: RegExp): Promise<{ path: string; filename: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByRole('link', { name }).click()]);
    return { path: (await download.path())!, filename: download.suggestedFilename() };
  }
}
