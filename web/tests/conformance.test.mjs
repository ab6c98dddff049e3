// The conformance page (web/conformance.html): runs a picked suite folder file
// by file, shows statuses and assert counts, and downloads the runner's JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openBrowser, SITE_ROOT } from './harness.mjs';

const FIXTURES = new URL('../../conformance/tests/fixtures/', import.meta.url).pathname;

let browser;
before(async () => { browser = await openBrowser({ root: SITE_ROOT }); });
after(async () => { await browser.close(); });

test('a picked suite runs file by file with the runner statuses and JSON', async () => {
  const page = await browser.newPage('/conformance.html');
  await page.locator('#fuel').fill('2000000');
  await page.getByTestId('config').setInputFiles(`${FIXTURES}suite.toml`);
  await page.getByTestId('suite').setInputFiles(`${FIXTURES}suite`);
  await page.getByTestId('start').click();
  await page.getByTestId('totals').filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
  const rows = await page.getByTestId('results').locator('tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].slice(0, 3).map((td) => td.textContent)));
  assert.deepEqual(rows, [
    ['fail.lua', 'fail (known)', '2'],
    ['loop.lua', 'timeout (known)', '1'],
    ['messages.lua', 'pass', '5'],
    ['pass.lua', 'pass', '3'],
    ['skipped.lua', 'skip', '0'],
    ['syntax.lua', 'fail (known)', '0'],
  ]);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download').click(),
  ]);
  const report = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.deepEqual(Object.keys(report).sort(), ['date', 'engine', 'files', 'suite', 'totals']);
  assert.deepEqual(report.suite, { name: 'fixtures', version: '1' });
  assert.match(report.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(report.totals, { files: 6, pass: 2, fail: 2, timeout: 1, panic: 0, skip: 1, asserts: 11 });
  for (const f of report.files) {
    assert.deepEqual(Object.keys(f).sort(), ['asserts', 'error', 'line', 'ms', 'name', 'status']);
  }
  assert.deepEqual(browser.errors, []);
  await page.close();
});

test("the project's corpus runs in the browser with the same outcome as cases.toml expects", async () => {
  const CASES = new URL('../../conformance/', import.meta.url).pathname;
  const page = await browser.newPage('/conformance.html');
  await page.getByTestId('config').setInputFiles(`${CASES}cases.toml`);
  await page.getByTestId('suite').setInputFiles(`${CASES}cases`);
  await page.getByTestId('start').click();
  await page.getByTestId('totals').filter({ hasText: 'done' }).waitFor({ timeout: 120_000 });
  const rows = await page.getByTestId('results').locator('tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].slice(0, 2).map((td) => td.textContent)));
  const toml = await readFile(`${CASES}cases.toml`, 'utf8');
  // The page runs the default engine (luahome): its known failures, and those for every engine.
  const known = new Set([...toml.matchAll(/^file = "([^"]+)"\n(?:engine = "luahome"\n)?reason/gm)].map((m) => m[1]));
  assert.ok(rows.length >= 30, `ran ${rows.length} case files`);
  for (const [name, status] of rows) {
    if (known.has(name)) {
      assert.ok(status.endsWith('(known)'), `${name}: known failure now ${status}`);
    } else {
      assert.equal(status, 'pass', `${name} must pass`);
    }
  }
  await page.close();
});
