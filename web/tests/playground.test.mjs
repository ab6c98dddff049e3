// The playground (web/playground, built into web/playground/dist) in headless
// Chromium, as a visitor uses it: the editor, run controls, console, the _home
// inspector and the examples. Screenshots go to web/tests/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { openBrowser, SITE_ROOT } from './harness.mjs';

const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
let browser;
const problems = [];     // console errors/warnings and off-origin requests, for every page

before(async () => {
  browser = await openBrowser({ root: SITE_ROOT });
  await mkdir(SHOTS, { recursive: true });
});
after(async () => { await browser.close(); });

async function openPlayground({ width = 1280, height = 800, path = '/' } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(browser.base) && !/^(blob|data):/.test(url)) problems.push(`off-origin request: ${url}`);
  });
  page.on('dialog', (d) => d.accept());
  await page.goto(browser.base + path);
  await ready(page);
  return page;
}

const ready = (page) => page.getByTestId('status').filter({ hasText: /^ready/ }).waitFor({ timeout: 20_000 });

async function setSource(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  // The editor shows the new text before the test runs it (a CI run once
  // ran an empty script in worker mode, just after the switch to it).
  const first = text.split('\n')[0];
  await page.locator('.cm-content').filter({ hasText: first }).waitFor({ timeout: 10_000 });
}

async function runAndWait(page, state = /^finished/) {
  await page.getByTestId('run').click();
  await page.getByTestId('status').filter({ hasText: state }).waitFor({ timeout: 60_000 });
}

const outputText = (page) => page.getByTestId('output').textContent();
const treeText = (page) => page.getByTestId('home-tree').textContent();

test('screenshots at 1280 and 360 px after load and after a run; no console problems', async () => {
  for (const [width, height] of [[1280, 800], [360, 740]]) {
    const page = await openPlayground({ width, height });
    await page.screenshot({ path: `${SHOTS}load-${width}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (${overflow} px too wide)`);
    await setSource(page, 'for i = 1, 5 do print("line " .. i) end\n_home.shot = true');
    await runAndWait(page);
    await page.screenshot({ path: `${SHOTS}run-${width}.png`, fullPage: true });
    assert.match(await outputText(page), /line 5/);
    // The system's dark theme is followed.
    const light = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.notEqual(dark, light, 'the dark theme applies');
    await page.screenshot({ path: `${SHOTS}run-${width}-dark.png`, fullPage: true });
    await page.close();
  }
  assert.deepEqual(problems, []);
});

test('every example runs without error, and the page stays free of console problems', async () => {
  const page = await openPlayground();
  const ids = await page.getByTestId('examples').locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.equal(ids.length, 7);
  for (const id of ids) {
    await page.getByTestId('clear').click();
    await page.getByTestId('examples').selectOption(id);
    await runAndWait(page, /^(finished|error)/);
    // Output is written once per animation frame: wait for it rather than
    // reading it the moment the status changes (a loaded machine lags).
    await page.getByTestId('output').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
    const text = await outputText(page);
    assert.equal(await page.locator('[data-testid=output] .error').count(), 0, `${id}: ${text}`);
    assert.ok(text.trim().length > 0, `${id} printed something`);
  }
  assert.match(await outputText(page), /generation 12/, 'the last example (life) drew its generations');
  await page.close();
  assert.deepEqual(problems, []);
});

test('the visit counter example shows 1, then 2 after a reload', async () => {
  const page = await openPlayground();
  await page.getByTestId('clear-home').click();           // the confirm dialog is accepted
  await page.getByTestId('home-tree').filter({ hasText: 'empty' }).waitFor();
  await page.getByTestId('examples').selectOption('visits');
  await runAndWait(page);
  // The console is written once per frame, possibly after the status.
  await page.getByTestId('output').filter({ hasText: 'visits: ' }).waitFor();
  assert.match(await outputText(page), /visits: 1\n/);
  await page.reload();
  await ready(page);
  assert.match(await treeText(page), /visits = 1/, 'the inspector shows the stored home on load');
  await page.getByTestId('examples').selectOption('visits');
  await runAndWait(page);
  // The console is written once per frame, possibly after the status.
  await page.getByTestId('output').filter({ hasText: 'visits: ' }).waitFor();
  assert.match(await outputText(page), /visits: 2\n/);
  await page.close();
});

test('the inspector shows what a script wrote, and edits and deletes from the tree', async () => {
  const page = await openPlayground();
  await setSource(page, '_home.answer = 41\n_home.nested = { deep = "x", list = {1, 2} }\n_home.nested.self = _home.nested\n_home.f = function() return 1 end');
  await runAndWait(page);
  const tree = page.getByTestId('home-tree');
  await tree.filter({ hasText: 'answer = 41' }).waitFor();
  assert.match(await treeText(page), /f = function \(input:4\)/);
  // Expand the nested table lazily; the cycle shows as a reference.
  await tree.locator('summary', { hasText: 'nested' }).click();
  await tree.filter({ hasText: 'deep = "x"' }).waitFor();
  assert.match(await treeText(page), /self = → table #\d+ \(shown elsewhere\)/);
  // Edit a scalar.
  await page.getByRole('button', { name: 'edit _home["answer"]' }).click();
  await page.getByLabel('new value for _home["answer"]').fill('42');
  await page.keyboard.press('Enter');
  await tree.filter({ hasText: 'answer = 42' }).waitFor();
  // Delete a key inside the nested table.
  await page.getByRole('button', { name: 'delete _home["nested"]["deep"]' }).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=home-tree]').textContent.includes('deep'));
  await setSource(page, 'print(_home.answer, _home.nested.deep, #_home.nested.list)');
  await page.getByTestId('clear').click();
  await runAndWait(page);
  assert.equal((await outputText(page)).trim(), '42\tnil\t2');
  await page.close();
});

test('export, clear and import restore _home; a bad file is refused', async () => {
  const page = await openPlayground();
  await setSource(page, '_home.keep = "me"\n_home.t = { 1, 2, 3 }');
  await runAndWait(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const file = await download.path();
  await page.getByTestId('clear-home').click();
  await page.getByTestId('home-tree').filter({ hasText: 'empty' }).waitFor();
  await page.getByTestId('import').setInputFiles({ name: 'bad.cbor', mimeType: 'application/cbor', buffer: Buffer.from('not cbor') });
  await page.getByTestId('output').filter({ hasText: 'import refused' }).waitFor();
  await page.getByTestId('import').setInputFiles(file);
  await page.getByTestId('home-tree').filter({ hasText: 'keep = "me"' }).waitFor();
  await page.close();
});

test('Ctrl+Enter runs; a failing line is marked in the editor', async () => {
  const page = await openPlayground();
  await setSource(page, 'print("by shortcut")');
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('output').filter({ hasText: 'by shortcut' }).waitFor({ timeout: 10_000 });
  await setSource(page, 'local x = 1\nlocal y = 2\nerror("broken")\nprint(x)');
  await runAndWait(page, /^error/);
  assert.match(await page.locator('[data-testid=output] .error').first().textContent(), /input:3: broken/);
  const marked = await page.locator('.cm-line').evaluateAll((lines) =>
    lines.map((l, i) => (l.classList.contains('cm-error-line') ? i + 1 : 0)).filter(Boolean));
  assert.deepEqual(marked, [3]);
  await page.close();
});

test('Pause stops output, Resume continues it, Stop ends a runaway script', async () => {
  const page = await openPlayground();
  await setSource(page, 'local i = 0\nwhile true do\n  i = i + 1\n  if i % 20000 == 0 then print(i) end\nend');
  await page.getByTestId('run').click();
  await page.getByTestId('output').filter({ hasText: '20000' }).waitFor({ timeout: 10_000 });
  await page.getByTestId('pause').click();
  await page.getByTestId('status').filter({ hasText: /^paused/ }).waitFor();
  await page.waitForTimeout(300);
  const paused = (await outputText(page)).length;
  await page.waitForTimeout(600);
  assert.equal((await outputText(page)).length, paused, 'no output while paused');
  await page.getByTestId('pause').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=output]').textContent.length > n, paused);
  await page.getByTestId('stop').click();
  await page.getByTestId('status').filter({ hasText: /^stopped/ }).waitFor();
  assert.equal(await page.getByTestId('run').isEnabled(), true);
  await page.close();
});

test('a million printed lines finish without slowing the page or shifting its layout', async () => {
  const page = await openPlayground({ width: 360, height: 740 });
  await setSource(page, 'for i = 1, 1e6 do print(i) end');
  // Where everything below the output is before the run.
  const boxes = () => page.evaluate(() => ['run', 'output', 'home-tree', 'refresh'].map((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return [id, Math.round(r.top + scrollY), Math.round(r.left), Math.round(r.height)];
  }));
  await page.evaluate(() => {
    // Lines scrolling inside the console are its content moving, not the page's
    // layout: count the shifts of anything outside it.
    window.__shifts = [];
    const output = document.getElementById('output');
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;   // as CLS: shifts right after typing or a click are expected
        for (const s of e.sources ?? []) {
          // CodeMirror's cursor layer repositions itself after typing.
          const cursor = s.node?.nodeType === 1 && s.node.closest('.cm-cursorLayer');
          if (s.node && !output.contains(s.node) && !cursor) {
            window.__shifts.push(s.node.nodeType === 1 ? s.node.outerHTML.slice(0, 60) : s.node.textContent.slice(0, 60));
          }
        }
      }
    }).observe({ type: 'layout-shift' });
  });
  const before = await boxes();
  const started = Date.now();
  await page.getByTestId('run').click();
  await page.getByTestId('output').filter({ hasText: '5000' }).waitFor({ timeout: 20_000 });
  assert.deepEqual(await boxes(), before, 'nothing moves while output streams');
  // The page answers input while it runs.
  const t0 = Date.now();
  await page.getByTestId('clear').focus();
  const lag = Date.now() - t0;
  await page.getByTestId('status').filter({ hasText: /^finished/ }).waitFor({ timeout: 120_000 });
  const text = await outputText(page);
  assert.match(text, /\n1000000(\.0)?\n$/, "the last line is shown (piccolo 0.3.3 runs this loop on floats)");
  assert.ok(text.split('\n').length <= 5002, 'the console is capped');
  assert.match(await page.getByTestId('dropped').textContent(), /earlier lines not shown/);
  assert.deepEqual(await boxes(), before, 'nothing moved after the run');
  assert.deepEqual(await page.evaluate(() => window.__shifts), [], 'no layout shift outside the console (Layout Instability API)');
  console.log(`1e6 lines: ${Date.now() - started} ms, focus lag while running ${lag} ms`);
  await page.close();
});

test('worker mode runs scripts with the same _home; Share puts the script in the link', async () => {
  const page = await openPlayground();
  await page.getByTestId('mode-worker').check();
  await page.getByTestId('status').filter({ hasText: /in a worker/ }).waitFor({ timeout: 20_000 });
  await setSource(page, '_home.from_worker = "yes"\nprint("hello from the worker")');
  await runAndWait(page);
  assert.match(await outputText(page), /hello from the worker/);
  await page.getByTestId('home-tree').filter({ hasText: 'from_worker = "yes"' }).waitFor();
  await page.getByTestId('share').click();
  const url = page.url();
  assert.match(url, /#code=/);
  await page.getByTestId('mode-main').check();
  await page.getByTestId('status').filter({ hasText: /main thread/ }).waitFor({ timeout: 20_000 });
  await page.close();
  const shared = await openPlayground({ path: new URL(url).pathname + new URL(url).hash });
  assert.match(await shared.locator('.cm-content').textContent(), /hello from the worker/);
  await shared.close();
  assert.deepEqual(problems, []);
});

test('the engine switch runs the same script on the project\'s own core', async () => {
  const page = await openPlayground();
  await page.getByTestId('engine').selectOption('luahome');
  await page.getByTestId('status').filter({ hasText: /luahome engine/ }).waitFor({ timeout: 20_000 });
  // A swap: piccolo 0.3.3 miscompiles it, Lua 5.4 (and the own core) does not.
  await setSource(page, 'local a, b = 1, 2\na, b = b, a\nprint(a, b)\n_home.engine_check = a');
  await runAndWait(page);
  assert.match(await outputText(page), /^2\t1\n/);
  await page.getByTestId('home-tree').filter({ hasText: 'engine_check = 2' }).waitFor();
  await page.getByTestId('engine').selectOption('piccolo');
  await page.getByTestId('status').filter({ hasText: /piccolo engine/ }).waitFor({ timeout: 20_000 });
  await page.close();
  assert.deepEqual(problems, []);
});

test('every control has a name and is reached by Tab with a visible focus ring', async () => {
  const page = await openPlayground();
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, select, [contenteditable]')]
    .filter((el) => {
      const name = el.getAttribute('aria-label') || [...(el.labels ?? [])].map((l) => l.textContent).join('')
        || el.textContent || el.title;
      return !name.trim();
    }).map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, []);
  const reached = new Map();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const label = el.closest('label.button');
      const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
        || (label && getComputedStyle(label).outlineStyle !== 'none');
      return { id: el.id || el.dataset.testid || el.className, ring };
    });
    reached.set(info.id, info.ring);
  }
  for (const id of ['examples', 'share', 'run', 'mode-main', 'engine', 'clear', 'refresh', 'export', 'import', 'clear-home']) {
    assert.ok(reached.has(id), `Tab reaches ${id} (reached: ${[...reached.keys()].join(', ')})`);
    assert.equal(reached.get(id), true, `${id} shows a focus ring`);
  }
  assert.ok(reached.has('source'), 'Tab reaches the editor');
  await page.close();
});

test('the script is kept across a reload', async () => {
  const page = await openPlayground();
  await setSource(page, 'print("kept across reloads")');
  await page.waitForTimeout(400);   // the editor saves after 300 ms of quiet
  await page.reload();
  await ready(page);
  assert.match(await page.locator('.cm-content').textContent(), /kept across reloads/);
  await page.close();
});
