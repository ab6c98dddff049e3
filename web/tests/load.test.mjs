// Named load failures of Lua.open (issue 15): each is provoked in Chromium and
// must give a LuaError of kind 'load' with its code and an actionable message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, CHROMIUM_ARGS, WEB_ROOT } from './harness.mjs';

let browser;
before(async () => {
  browser = await openBrowser({
    rules: [
      { path: /mime=wrong/, headers: { 'content-type': 'application/octet-stream' } },
      { path: /csp=strict/, headers: { 'content-security-policy': "script-src 'self'" } },
      { path: /html-fallback/, headers: { 'content-type': 'text/html' } },
    ],
  });
});
after(async () => { await browser.close(); });

// Opens a state with `options` in `page`; returns the error's fields, or the
// run's result and warnings when it opens.
function tryOpen(page, options) {
  return page.evaluate(async (options) => {
    const { Lua, LuaError } = await import('/luahome.js');
    const warnings = [];
    try {
      const lua = await Lua.open({ persist: false, onWarning: (w) => warnings.push(w), ...options });
      let out = '';
      lua.onOutput = (t) => { out += t; };
      await lua.run('print(6 * 7)');
      await lua.close();
      return { ok: true, out, warnings };
    } catch (e) {
      return { ok: false, isLuaError: e instanceof LuaError, name: e.name, kind: e.kind, code: e.code,
        message: e.message };
    }
  }, options);
}

test('a missing wasm (404) is kind load / wasm-not-found and says what to deploy', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { wasmUrl: '/missing/luahome_bg.wasm' });
  assert.equal(r.ok, false);
  assert.equal(r.isLuaError, true);
  assert.equal(r.kind, 'load');
  assert.equal(r.code, 'wasm-not-found');
  assert.match(r.message, /missing\/luahome_bg\.wasm answered HTTP 404/);
  assert.match(r.message, /wasmUrl/);
  // The failure is not cached: the default location still works afterwards.
  const ok = await tryOpen(page, {});
  assert.equal(ok.ok, true);
  assert.equal(ok.out, '42\n');
  await page.close();
});

test('an HTML fallback page instead of the wasm is named as a missing file', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { wasmUrl: '/tests/blank.html?html-fallback' });
  assert.equal(r.kind, 'load');
  assert.equal(r.code, 'wasm-not-found');
  assert.match(r.message, /HTML page/);
  await page.close();
});

test('a wrong MIME type falls back to non-streaming compilation with a warning', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { wasmUrl: '/luahome_bg.wasm?mime=wrong' });
  assert.equal(r.ok, true, r.message);
  assert.equal(r.out, '42\n');
  assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
  assert.match(r.warnings[0], /served as 'application\/octet-stream' instead of 'application\/wasm'/);
  await page.close();
});

test("a CSP without 'wasm-unsafe-eval' is kind load / csp and names the fix", async () => {
  const page = await browser.newPage('/tests/blank.html?csp=strict');
  const r = await tryOpen(page, {});
  assert.equal(r.kind, 'load', JSON.stringify(r));
  assert.equal(r.code, 'csp');
  assert.match(r.message, /Content-Security-Policy/);
  assert.match(r.message, /'wasm-unsafe-eval'/);
  await page.close();
});

test('a file:// wasm URL is kind load / file-url and says to serve over HTTP', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { wasmUrl: 'file:///tmp/luahome_bg.wasm' });
  assert.equal(r.code, 'file-url');
  assert.match(r.message, /Serve the folder over HTTP/);
  await page.close();
});

test('a page opened from file:// gets the file-url failure', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'luahome-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, '--allow-file-access-from-files'],
  });
  try {
    const page = await context.newPage();
    await page.goto(`file://${WEB_ROOT}/tests/blank.html`);
    const r = await page.evaluate(async (href) => {
      const { Lua } = await import(href);
      try {
        await Lua.open({ persist: false });
        return { ok: true };
      } catch (e) {
        return { kind: e.kind, code: e.code, message: e.message };
      }
    }, `file://${WEB_ROOT}/luahome.js`);
    assert.equal(r.code, 'file-url', JSON.stringify(r));
    assert.equal(r.kind, 'load');
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('a browser without WebAssembly gets kind load / unsupported', async () => {
  const page = await browser.context.newPage();
  await page.addInitScript(() => { delete globalThis.WebAssembly; });
  await page.goto(`${browser.base}/tests/blank.html`);
  const r = await tryOpen(page, {});
  assert.equal(r.kind, 'load');
  assert.equal(r.code, 'unsupported');
  assert.match(r.message, /no WebAssembly/);
  await page.close();
});

test('without IndexedDB the state opens with _home in memory and a warning', async () => {
  const page = await browser.context.newPage();
  await page.addInitScript(() => { delete globalThis.indexedDB; });
  await page.goto(`${browser.base}/tests/blank.html`);
  const r = await tryOpen(page, { persist: true, home: 'no-idb' });
  assert.equal(r.ok, true, r.message);
  assert.match(r.warnings.join('\n'), /kept in memory only \(IndexedDB is not available/);
  await page.close();
});

test('a worker script that cannot load is kind load / worker-failed', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { worker: true, workerUrl: '/missing/luahome-worker.js' });
  assert.equal(r.kind, 'load', JSON.stringify(r));
  assert.equal(r.code, 'worker-failed');
  assert.match(r.message, /workerUrl/);
  await page.close();
});

test('a missing wasm in worker mode reaches the page by name', async () => {
  const page = await browser.newPage();
  const r = await tryOpen(page, { worker: true, wasmUrl: 'missing/luahome_bg.wasm' });
  assert.equal(r.kind, 'load', JSON.stringify(r));
  assert.equal(r.code, 'wasm-not-found');
  assert.match(r.message, /\/missing\/luahome_bg\.wasm answered HTTP 404/, 'resolved against the page');
  await page.close();
});

test('wasmModule skips fetching; bad option values are named', async () => {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (req) => requests.push(new URL(req.url()).pathname));
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const wasmModule = await WebAssembly.compileStreaming(fetch('/luahome_bg.wasm'));
    const before = performance.getEntriesByType('resource').length;
    const lua = await Lua.open({ persist: false, wasmModule });
    let out = '';
    lua.onOutput = (t) => { out += t; };
    await lua.run('print("from a module")');
    const w = await Lua.open({ persist: false, worker: true, wasmModule });
    let wout = '';
    w.onOutput = (t) => { wout += t; };
    await w.run('print("from a module in a worker")');
    await w.close();
    const bad = await Lua.open({ wasmModule: new Uint8Array(4) }).catch((e) => [e.kind, e.code]);
    const badUrl = await Lua.open({ wasmUrl: 'http://[bad' }).catch((e) => [e.kind, e.code]);
    return { out, wout, bad, badUrl, before };
  });
  assert.equal(r.out, 'from a module\n');
  assert.equal(r.wout, 'from a module in a worker\n');
  assert.deepEqual(r.bad, ['load', 'bad-option']);
  assert.deepEqual(r.badUrl, ['load', 'bad-option']);
  assert.equal(requests.filter((p) => p.endsWith('.wasm')).length, 1, 'only the page fetched the wasm');
  await page.close();
});
