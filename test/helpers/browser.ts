/**
 * Debian's Chromium driven by playwright-core (no browser download), launched with the
 * flags this machine needs and a fresh profile per launch.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedBrowser {
  browser: Browser | BrowserContext;
  context: BrowserContext;
  close: () => Promise<void>;
}

/**
 * A persistent context on a throwaway user-data dir, with any extra Chromium `args`.
 * `ignoreHTTPSErrors` lets tests reach FedPKI's own-root HTTPS listener without
 * installing its root in the system.
 */
export async function launchBrowser(o: { acceptDownloads?: boolean; viewport?: { width: number; height: number }; args?: string[] } = {}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'fedpki-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...(o.args ?? [])],
    headless: true,
    ignoreHTTPSErrors: true,
    acceptDownloads: o.acceptDownloads ?? true,
    viewport: o.viewport ?? { width: 1280, height: 900 },
  });
  return {
    browser: context,
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
