import type { Page } from 'playwright-core';

export class CertificatesPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(query = ''): Promise<void> {
    await this.page.goto(`${this.origin}/certificates${query}`);
  }

  async search(text: string): Promise<void> {
    await this.page.getByLabel('Name or serial').fill(text);
    await this.page.getByRole('button', { name: 'Apply' }).click();
    await this.page.waitForURL(/q=/);
  }

  row(name: string) {
    return this.page.getByRole('row').filter({ has: this.page.getByRole('link', { name, exact: true }) });
  }

  async open(name: string): Promise<void> {
    await this.row(name).getByRole('link', { name, exact: true }).click();
    await this.page.waitForURL(/\/certificates\/[0-9a-f]+$/);
  }

  /** A field's value on the detail page. */
  async field(label: string): Promise<string> {
    return (await this.page.locator('dl.fields dt', { hasText: new RegExp(`^${label}$`) }).first().locator('xpath=following-sibling::dd[1]').innerText()).trim();
  }
}
