import type { Page } from 'playwright-core';

export class UsersPage {
  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(`${this.origin}/users`);
  }

  async create(p: { username: string; role: 'admin' | 'operator' | 'auditor'; password: string; displayName?: string }): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Create an account' });
    await form.getByLabel('User name').fill(p.username);
    if (p.displayName) await form.getByLabel('Display name (optional)').fill(p.displayName);
    await form.getByLabel('Role').selectOption(p.role);
    await form.getByLabel('Password', { exact: true }).fill(p.password);
    await form.getByLabel('Password again').fill(p.password);
    await form.getByRole('button', { name: 'Create account' }).click();
    await form.getByRole('status').filter({ hasText: `Created ${p.username}` }).waitFor();
  }
}
