// Runs a Lua test suite (by default the official Lua 5.4.8 `testes/`) in
// headless Chromium through the conformance page (web/conformance.html of the
// built site), the way a user would: picks the config and the suite folder,
// presses Run, waits until the page says done, then prints a per-file table
// (file, status, asserts, ms, error) and the totals, from the page's own JSON
// download (the shape of `luahome-conformance run --json`).
//
// Usage:
//   nice -n 10 node scripts/suite-browser.mjs [--testes DIR] [--config FILE]
//     [--json FILE] [--root DIR] [--fuel N] [--seconds N] [--timeout-min N]
//
//   --testes DIR    suite folder (default $LUA_TESTES_DIR); only its top-level
//                   *.lua files run, all.lua never, as with the native runner
//   --config FILE   runner TOML (default conformance/lua-5.4.8.toml): [suite],
//                   [[skip]], [[native]] (skipped: no file system in a page) and
//                   [[known_failure]]; its [limits] fuel and time_s fill the
//                   page's fuel and seconds per file unless --fuel/--seconds
//   --json FILE     write the page's JSON download there
//   --root DIR      built site to serve (default web/playground/dist, the
//                   harness's SITE_ROOT; build it with scripts/build-site.mjs
//                   after the wasm package is in web/)
//   --timeout-min N give up on the whole run after N minutes (default 90)
//
// Chromium is Debian's /usr/bin/chromium (or $CHROMIUM) with the browser
// tests' flags and a fresh profile (web/tests/harness.mjs); nothing is
// downloaded. Progress goes to stderr as files finish. Exit status: 0 when
// every file passes, is skipped or fails as a known failure of the luahome
// engine; 1 otherwise (also when a known failure passes, or the whole run
// timed out); 2 on bad usage. Against a native run of the same config:
//   target/release/luahome-conformance compare native.json browser.json
import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openBrowser, SITE_ROOT } from '../web/tests/harness.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const usage = (msg) => {
  console.error(`suite-browser: ${msg}\nusage: node scripts/suite-browser.mjs [--testes DIR] [--config FILE] [--json FILE] [--root DIR] [--fuel N] [--seconds N] [--timeout-min N]`);
  process.exit(2);
};

const testes = opt('--testes', process.env.LUA_TESTES_DIR);
if (!testes) usage('no suite folder: give --testes DIR or set LUA_TESTES_DIR');
const suiteDir = resolve(testes);
const configPath = resolve(opt('--config', `${ROOT}conformance/lua-5.4.8.toml`));
const jsonPath = opt('--json', null);
const siteRoot = resolve(opt('--root', SITE_ROOT));
const timeoutMs = Number(opt('--timeout-min', 90)) * 60_000;

for (const [what, path, dir] of [['suite folder', suiteDir, true], ['config', configPath, false], ['site root', siteRoot, true]]) {
  const s = await stat(path).catch(() => null);
  if (!s || s.isDirectory() !== dir) usage(`${what} not found: ${path}`);
}
const wasm = await stat(`${siteRoot}/luahome_bg.wasm`).catch(() => null);
if (!wasm?.size) usage(`${siteRoot} has no luahome_bg.wasm (build the site first)`);

// The page's inputs for fuel and seconds per file, from the config's [limits].
const toml = await readFile(configPath, 'utf8');
const limit = (key) => toml.match(new RegExp(`^\\[limits\\][^\\[]*?^${key}\\s*=\\s*([\\d_]+)`, 'm'))?.[1]?.replace(/_/g, '');
const fuel = opt('--fuel', limit('fuel') ?? '500000000');
const seconds = opt('--seconds', limit('time_s') ?? '120');

console.error(`suite-browser: ${suiteDir} with ${configPath}`);
console.error(`suite-browser: site ${siteRoot} (wasm ${wasm.size} bytes, ${wasm.mtime.toISOString()}), fuel ${fuel}, ${seconds} s per file`);

const browser = await openBrowser({ root: siteRoot });
let exitCode = 1;
try {
  const page = await browser.newPage('/conformance.html');
  console.error(`suite-browser: ${await page.evaluate(() => navigator.userAgent)}`);
  const totals = page.getByTestId('totals');
  await page.locator('#fuel').fill(String(fuel));
  await page.locator('#seconds').fill(String(seconds));
  // The page reads the config asynchronously: wait for it before the run.
  await page.getByTestId('config').setInputFiles(configPath);
  await totals.filter({ hasText: 'config:' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('suite').setInputFiles(suiteDir);
  await totals.filter({ hasText: 'files ready' }).waitFor({ timeout: 30_000 });
  console.error(`suite-browser: ${await totals.textContent()}`);
  const started = Date.now();
  await page.getByTestId('start').click();

  // Poll the results table, reporting each file as it finishes.
  const reported = new Set();
  for (;;) {
    const rows = await page.getByTestId('results').locator('tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    for (const [name, status, asserts, ms] of rows) {
      if (status.startsWith('running') || reported.has(name)) continue;
      reported.add(name);
      console.error(`  ${name.padEnd(16)} ${status.padEnd(16)} ${asserts.padStart(7)} asserts ${ms.padStart(8)} ms`);
    }
    const text = await totals.textContent();
    if (text.startsWith('done')) break;
    if (Date.now() - started > timeoutMs) {
      console.error(`suite-browser: gave up after ${opt('--timeout-min', 90)} minutes: ${text}`);
      await page.getByTestId('stop').click();
      await totals.filter({ hasText: 'stopped' }).waitFor({ timeout: 180_000 });
      break;
    }
    await page.waitForTimeout(2000);
  }
  const wall = ((Date.now() - started) / 1000).toFixed(0);
  const summary = await totals.textContent();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download').click(),
  ]);
  const text = await readFile(await download.path(), 'utf8');
  const report = JSON.parse(text);
  if (jsonPath) await writeFile(jsonPath, text);

  // The known failures the page applied (engine luahome): read from its table.
  const known = new Set(await page.getByTestId('results').locator('tr').evaluateAll((trs) =>
    trs.filter((tr) => tr.children[1].textContent.endsWith('(known)')).map((tr) => tr.dataset.file)));
  const w = Math.max(4, ...report.files.map((f) => f.name.length));
  console.log(`${'file'.padEnd(w)}  ${'status'.padEnd(15)}  ${'asserts'.padStart(7)}  ${'ms'.padStart(8)}  error`);
  for (const f of report.files) {
    const status = f.status + (known.has(f.name) ? ' (known)' : '');
    const error = (f.error ?? '').replace(/\s+/g, ' ').slice(0, 100);
    console.log(`${f.name.padEnd(w)}  ${status.padEnd(15)}  ${String(f.asserts).padStart(7)}  ${String(f.ms).padStart(8)}  ${error}`);
  }
  const t = report.totals;
  console.log(`\n${report.suite.name} ${report.suite.version}, engine ${report.engine}, ${report.date}: ` +
    `${t.files} files, ${t.pass} pass, ${t.fail} fail, ${t.timeout} timeout, ${t.panic} panic, ${t.skip} skip; ` +
    `${t.asserts} asserts; ${wall} s`);
  console.log(`page: ${summary}`);
  if (jsonPath) console.log(`JSON: ${jsonPath}`);
  if (browser.errors.length) console.log(`browser errors:\n  ${browser.errors.map(String).join('\n  ')}`);

  const unexpected = report.files.filter((f) => ['fail', 'timeout', 'panic'].includes(f.status) && !known.has(f.name));
  const stale = report.files.filter((f) => f.status === 'pass' && known.has(f.name));
  for (const f of stale) console.log(`known failure now passing: ${f.name} (remove its [[known_failure]] entry)`);
  exitCode = unexpected.length === 0 && stale.length === 0 && summary.startsWith('done') ? 0 : 1;
  await page.close();
} finally {
  await browser.close();
}
process.exit(exitCode);
