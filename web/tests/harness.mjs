// Shared set-up for browser tests: serve web/ on a free loopback port and
// drive Debian's Chromium (never a downloaded browser) through playwright-core.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

// The package folder (web/): tests of the API import /luahome.js from it.
export const WEB_ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
// The built playground site (scripts/build-site.mjs).
export const SITE_ROOT = new URL('../playground/dist', import.meta.url).pathname;

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

/**
 * Starts the server (on `root`, default the package folder; `rules` as in
 * scripts/serve.mjs) and a browser with a fresh profile; `contextOptions`
 * go to Playwright's context (a `timezoneId`, say).
 */
export async function openBrowser({ root = WEB_ROOT, rules = [], args = [], contextOptions = {} } = {}) {
  const server = await startServer({ rootDir: root, listenPort: 0, rules });
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = await mkdtemp(join(tmpdir(), 'luahome-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    ...contextOptions,
  });
  const errors = [];
  context.on('weberror', (e) => errors.push(e.error()));
  return {
    base,
    context,
    errors,
    async newPage(path = '/tests/blank.html') {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(base + path);
      return page;
    },
    async close() {
      await context.close();
      await new Promise((ok) => server.close(ok));
      await rm(profile, { recursive: true, force: true });
    },
  };
}
