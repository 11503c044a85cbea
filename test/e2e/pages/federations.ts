import type { Page } from 'playwright-core';

export class FederationsPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.origin}/federations`);
  }

  form() {
    return this.page.getByRole('form', { name: 'Create a federation' });
  }

  async submit(p: { name: string; caUrl: string; keySpec?: string; validityDays?: number }): Promise<void> {
    const form = this.form();
    await form.getByLabel('Name', { exact: true }).fill(p.name);
    await form.getByLabel('CA URL (host:port)').fill(p.caUrl);
    if (p.keySpec) await form.getByLabel('Key algorithm').selectOption(p.keySpec);
    if (p.validityDays) await form.getByLabel('Certificate validity (days)').fill(String(p.validityDays));
    await form.getByRole('button', { name: 'Create federation' }).click();
  }

  /** Creates a federation and waits for its page; returns its id. */
  async create(p: { name: string; caUrl: string; keySpec?: string; validityDays?: number }): Promise<string> {
    await this.submit(p);
    await this.page.waitForURL(/\/federations\/[a-z0-9-]+\?created=1/, { timeout: 60_000 });
    return new URL(this.page.url()).pathname.split('/').pop()!;
  }
}
