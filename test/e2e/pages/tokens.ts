import type { Page } from 'playwright-core';

export interface MintParams {
  federation?: string;
  role?: 'Collaborator' | 'Envoy' | 'Aggregator' | 'Director' | 'API-layer node';
  subject: string;
  ips?: string;
  extraSans?: string;
  lifetime?: string;
  validityDays?: number;
}

export class TokensPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(query = ''): Promise<void> {
    await this.page.goto(`${this.origin}/tokens${query}`);
  }

  form() {
    return this.page.getByRole('form', { name: 'Mint an enrollment token' });
  }

  async fill(p: MintParams): Promise<void> {
    const form = this.form();
    if (p.federation) await form.getByLabel('Federation').selectOption({ label: p.federation });
    if (p.role) await form.getByLabel(p.role, { exact: true }).check();
    await form.getByLabel(/Node name|Host name/).fill(p.subject);
    if (p.ips) await form.getByLabel('IP addresses (optional)').fill(p.ips);
    if (p.extraSans) await form.getByLabel('Extra names (optional)').fill(p.extraSans);
    if (p.lifetime) await form.getByLabel('Token lifetime').selectOption({ label: p.lifetime });
    if (p.validityDays) await form.getByLabel('Certificate validity (days)').fill(String(p.validityDays));
  }

  /** Mints a token and returns it as the page shows it, once. */
  async mint(p: MintParams): Promise<{ token: string; fx: string; fedpki: string; enrollUrl: string }> {
    await this.fill(p);
    await this.form().getByRole('button', { name: 'Mint token' }).click();
    const box = this.page.getByLabel('Token', { exact: true });
    await box.waitFor();
    const commands = await this.page.locator('pre.command').allTextContents();
    return { token: await box.inputValue(), fx: commands[0]!, fedpki: commands[1]!, enrollUrl: commands[2]! };
  }

  row(subject: string) {
    return this.page.getByRole('row').filter({ hasText: subject });
  }
}
