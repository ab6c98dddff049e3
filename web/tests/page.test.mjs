// The first page (web/index.html): output streams, Stop ends a runaway script,
// and the page stays responsive meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, SITE_ROOT } from './harness.mjs';

let browser;
before(async () => { browser = await openBrowser({ root: SITE_ROOT }); });
after(async () => { await browser.close(); });

async function openIndex() {
  const page = await browser.newPage('/');
  await page.getByTestId('status').filter({ hasText: 'ready' }).waitFor();
  return page;
}

test('the page prints the output of a script', async () => {
  const page = await openIndex();
  await page.getByTestId('source').fill('for i = 1, 3 do print(i) end\nprint("done", 2.0)');
  await page.getByTestId('run').click();
  await page.getByTestId('output').filter({ hasText: 'done' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('output').textContent(), '1\n2\n3\ndone\t2.0\n');
  await page.close();
});

test('a runaway script streams output, the page stays clickable, and Stop ends it', async () => {
  const page = await openIndex();
  // A handler the page owns, to prove input events run during the script.
  await page.evaluate(() => {
    const b = document.createElement('button');
    b.id = 'probe';
    b.textContent = 'probe';
    b.addEventListener('click', () => { b.textContent = 'clicked'; });
    document.body.append(b);
  });
  await page.getByTestId('source').fill('print("looping")\nlocal n = 0\nwhile true do n = n + 1 end');
  await page.getByTestId('run').click();
  await page.getByTestId('output').filter({ hasText: 'looping' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('stop').isEnabled(), true, 'still running');

  await page.locator('#probe').click({ timeout: 5_000 });
  await page.locator('#probe').filter({ hasText: 'clicked' }).waitFor({ timeout: 2_000 });
  assert.equal(await page.getByTestId('stop').isEnabled(), true, 'the click ran while Lua was running');

  await page.getByTestId('stop').click();
  await page.getByTestId('output').filter({ hasText: 'stopped' }).waitFor({ timeout: 5_000 });
  assert.equal(await page.getByTestId('run').isEnabled(), true);
  assert.match(await page.getByTestId('output').textContent(), /looping\n.*stopped/s);

  // The runtime is usable again after a stop.
  await page.getByTestId('clear').click();
  await page.getByTestId('source').fill('print(6 * 7)');
  await page.getByTestId('run').click();
  await page.getByTestId('output').filter({ hasText: '42' }).waitFor({ timeout: 5_000 });
  await page.close();
});

test('errors show chunk and line', async () => {
  const page = await openIndex();
  await page.getByTestId('source').fill('local x = 1\nerror("broken")');
  await page.getByTestId('run').click();
  await page.locator('[data-testid=output] .error').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('[data-testid=output] .error').textContent(), 'input:2: broken\n');
  await page.close();
});

test('the _home panel shows what a script stored, also after a reload', async () => {
  const page = await openIndex();
  await page.getByTestId('source').fill('_home.visits = (_home.visits or 0) + 1\n_home.greet = function() return "hi" end');
  await page.getByTestId('run').click();
  const tree = page.getByTestId('home-tree');
  await tree.filter({ hasText: '"visits" = 1' }).waitFor({ timeout: 10_000 });
  assert.match(await tree.textContent(), /"greet" = function \(input:2\)/);
  assert.match(await page.getByTestId('home-backend').textContent(), /IndexedDB/);
  await page.reload();
  await page.getByTestId('status').filter({ hasText: 'ready' }).waitFor();
  assert.match(await tree.textContent(), /"visits" = 1/, 'the panel shows the stored home on load');
  await page.getByTestId('source').fill('_home.visits = _home.visits + 1');
  await page.getByTestId('run').click();
  await tree.filter({ hasText: '"visits" = 2' }).waitFor({ timeout: 10_000 });
  await page.close();
});
