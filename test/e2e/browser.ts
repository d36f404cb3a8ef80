// Debian's Chromium driven by playwright-core (nothing downloaded), with a fresh profile per
// browser; a page that breaks its Content-Security-Policy fails the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

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

export interface Browser {
  readonly context: BrowserContext;
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium with a fresh profile; every page fails the test on a CSP violation it reports. */
export async function openBrowser(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'kestrel-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: options.width ?? 1200, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const violations: string[] = [];
  await context.exposeBinding('kestrelCspViolation', (_source, text: string) => {
    violations.push(text);
  });
  // A string, not a function: this file is type-checked for Node, without the DOM's types.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      window.kestrelCspViolation(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return {
    context,
    async page() {
      return context.pages()[0] ?? context.newPage();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (violations.length > 0)
        throw new Error(`the page broke its Content-Security-Policy: ${violations.join('; ')}`);
    },
  };
}
