/**
 * A real headless browser for the report tests: Debian's `chromium` driven by puppeteer-core
 * (which downloads nothing). Each launch gets a fresh profile directory, removed on close.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const chromiumPath = process.env.MPCAP_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const NO_CHROMIUM = `no browser at ${chromiumPath} (Debian package chromium; .ci/run installs it): the browser checks skip`;

export interface OpenBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<OpenBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'mpcap-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
