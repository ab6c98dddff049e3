// `_home` in the browser: IndexedDB persistence across reloads, crash
// consistency, two tabs, damaged records, compaction, quota, export/import.
// Every test uses its own home name (one IndexedDB database each).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './harness.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser.close(); });

// Runs `source` in a fresh Lua state on home `home` in `page`; returns
// { values, warnings, backend }.
async function runOn(page, home, source, options = {}) {
  return page.evaluate(async ({ home, source, options }) => {
    const { Lua } = await import('/luahome.js');
    const warnings = [];
    const lua = await Lua.open({ home, onWarning: (w) => warnings.push(w), ...options });
    try {
      const values = await lua.run(source);
      return { values, warnings, backend: lua.home.backend };
    } finally {
      await lua.close();
    }
  }, { home, source, options });
}

// Raw IndexedDB access from the page (the test plays a damaged disk).
const rawIdb = {
  async keys(page, home, store) {
    return page.evaluate(async ({ home, store }) => {
      const db = await new Promise((ok, ko) => {
        const r = indexedDB.open(`luahome:${home}`);
        r.onsuccess = () => ok(r.result);
        r.onerror = () => ko(r.error);
      });
      const keys = await new Promise((ok, ko) => {
        const r = db.transaction(store).objectStore(store).getAllKeys();
        r.onsuccess = () => ok(r.result);
        r.onerror = () => ko(r.error);
      });
      db.close();
      return keys;
    }, { home, store });
  },
  async damage(page, home, store, key) {
    return page.evaluate(async ({ home, store, key }) => {
      const db = await new Promise((ok, ko) => {
        const r = indexedDB.open(`luahome:${home}`);
        r.onsuccess = () => ok(r.result);
        r.onerror = () => ko(r.error);
      });
      await new Promise((ok, ko) => {
        const tx = db.transaction(store, 'readwrite');
        const os = tx.objectStore(store);
        const get = os.get(key);
        get.onsuccess = () => {
          const bytes = new Uint8Array(get.result);
          bytes[bytes.length - 1] ^= 0xff;
          bytes[9] ^= 0x55;
          os.put(bytes, key);
        };
        tx.oncomplete = ok;
        tx.onerror = () => ko(tx.error);
      });
      db.close();
    }, { home, store, key });
  },
};

test('scalars, nested tables and a closure pair sharing an upvalue survive a reload', async () => {
  const page = await browser.newPage();
  await runOn(page, 'basic', `
    _home.n = 42; _home.f = 1.5; _home.s = "h\\0\\xff"; _home.yes = true
    _home.nested = { a = { b = { c = "deep" } }, list = { 10, 20, 30 } }
    local count = 0
    _home.get = function() return count end
    _home.inc = function(k) count = count + (k or 1); return count end
    _home.inc(5)`);
  await page.reload();
  const r = await runOn(page, 'basic', `
    local t = _home.nested
    return _home.n, math.type(_home.n), _home.f, _home.s == "h\\0\\xff", _home.yes, t.a.b.c, #t.list, t.list[3],
      _home.get(), _home.inc(), _home.get(), rawequal(_home, Memory)`);
  assert.deepEqual(r.values, [42, 'integer', 1.5, true, true, 'deep', 3, 30, 5, 6, 6, true]);
  assert.equal(r.backend, 'indexeddb');
  // The counter kept counting: the upvalue was saved after the last run.
  await page.reload();
  assert.deepEqual((await runOn(page, 'basic', 'return _home.get()')).values, [6]);
  await page.close();
});

test('mutating a stored table through its proxy persists', async () => {
  const page = await browser.newPage();
  await runOn(page, 'proxy', '_home.player = { name = "ada", hp = 3, bag = {} }');
  await runOn(page, 'proxy', 'local p = _home.player; p.hp = 4; p.bag[1] = "sword"; p.name = nil');
  await page.reload();
  const r = await runOn(page, 'proxy', 'local p = _home.player; return p.hp, p.bag[1], p.name');
  assert.deepEqual(r.values, [4, 'sword', null]);
  await page.close();
});

test('a reload in the middle of a long run leaves a consistent committed state', async () => {
  const page = await browser.newPage();
  const script = `
    _home.log = _home.log or {}
    local log = _home.log
    local n = _home.n or 0
    while true do
      n = n + 1
      log[n] = n
      _home.n = n
      _home.pair = { a = n, b = n }
    end`;
  for (let trial = 0; trial < 4; trial += 1) {
    await page.evaluate(async (script) => {
      const { Lua } = await import('/luahome.js');
      const lua = await Lua.open({ home: 'midrun', saveEveryMs: 100 });
      window.runPromise = lua.run(script).catch(() => {});
    }, script);
    await page.waitForTimeout(300 + trial * 170);
    await page.reload();
  }
  const r = await runOn(page, 'midrun', `
    local n, log, pair = _home.n, _home.log, _home.pair
    for k = 1, n do assert(log[k] == k, "log entry " .. k) end
    assert(#log == n or #log == n + 1, "log length " .. #log .. " vs n " .. n)
    assert(pair.a == pair.b and (pair.a == n or pair.a == n - 1), "pair")
    return n`);
  assert.ok(r.values[0] > 0, 'some progress was committed');
  await page.close();
});

test('two pages on one home see each other\'s writes and lose none', async () => {
  const a = await browser.newPage();
  const b = await browser.newPage();
  const open = (page) => page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    window.lua = await Lua.open({ home: 'two-tabs' });
  });
  await open(a);
  await open(b);
  const run = (page, src) => page.evaluate((src) => window.lua.run(src), src);
  await run(a, '_home.fromA = 1; _home.ta = { x = "a" }');
  await run(b, '_home.fromB = 2; _home.tb = { y = "b" }');
  assert.deepEqual(await run(a, 'return _home.fromB, _home.tb.y'), [2, 'b']);
  assert.deepEqual(await run(b, 'return _home.fromA, _home.ta.x'), [1, 'a']);
  // Interleaved writes to different keys, and new tables created in both tabs.
  for (let i = 1; i <= 10; i += 1) {
    await run(a, `_home.ta[${i}] = { i = ${i} }`);
    await run(b, `_home.tb[${i}] = { i = ${i} * 10 }`);
  }
  // A notice arrives without a run, too.
  await run(a, '_home.late = "yes"');
  await b.waitForFunction(() => window.lua.homeSnapshot().entries.some((e) => e.key === 'late'));
  await a.reload();
  await b.reload();
  const r = await runOn(a, 'two-tabs', `
    local sa, sb = 0, 0
    for i = 1, 10 do sa = sa + _home.ta[i].i; sb = sb + _home.tb[i].i end
    return _home.fromA, _home.fromB, sa, sb, _home.late`);
  assert.deepEqual(r.values, [1, 2, 55, 550, 'yes']);
  await a.close();
  await b.close();
});

test('a damaged log record is reported, what precedes it loads, nothing is deleted', async () => {
  const page = await browser.newPage();
  await runOn(page, 'damaged-log', '_home.a = 1');
  await runOn(page, 'damaged-log', '_home.b = 2');
  await runOn(page, 'damaged-log', '_home.c = 3');
  const logKeys = await rawIdb.keys(page, 'damaged-log', 'log');
  assert.ok(logKeys.length >= 3);
  const bad = logKeys[logKeys.length - 2];
  await rawIdb.damage(page, 'damaged-log', 'log', bad);
  await page.reload();
  const r = await runOn(page, 'damaged-log', 'local before = _home.a; _home.d = 4; return before, _home.b, _home.c');
  assert.deepEqual(r.values, [1, null, null]);
  assert.ok(r.warnings.some((w) => w.includes(`log record ${bad}`)), r.warnings.join('\n'));
  const after = await rawIdb.keys(page, 'damaged-log', 'log');
  for (const k of logKeys.slice(-2)) assert.ok(after.includes(k), `log record ${k} was kept`);
  // Later writes replay past the quarantined records, which stay exportable.
  await page.reload();
  const again = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const warnings = [];
    const lua = await Lua.open({ home: 'damaged-log', onWarning: (w) => warnings.push(w) });
    const values = await lua.run('return _home.a, _home.d');
    const bytes = await lua.exportHome();
    await lua.close();
    return { values, warnings, exported: Array.from(bytes) };
  });
  assert.deepEqual(again.values, [1, 4]);
  assert.deepEqual(again.warnings, []);
  assert.ok(Buffer.from(again.exported).includes(Buffer.from(`log record ${bad}`)), 'export names the quarantined record');
  await page.close();
});

test('compaction folds the log into snapshots; a damaged chunk falls back to the previous generation', async () => {
  const page = await browser.newPage();
  await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ home: 'compact' });
    await lua.run('_home.list = {}');
    for (let i = 1; i <= 140; i += 1) await lua.run(`_home.list[${i}] = ${i}; _home.last = ${i}`);
    await lua.close();
  });
  const logKeys = await rawIdb.keys(page, 'compact', 'log');
  const chunkKeys = await rawIdb.keys(page, 'compact', 'chunks');
  assert.ok(logKeys.length < 140, `the log was folded (${logKeys.length} records left)`);
  assert.ok(chunkKeys.length >= 2, 'two generations are kept');
  await rawIdb.damage(page, 'compact', 'chunks', chunkKeys[chunkKeys.length - 1]);
  await page.reload();
  const r = await runOn(page, 'compact', 'local s = 0; for i = 1, #_home.list do s = s + _home.list[i] end; return #_home.list, s, _home.last');
  assert.deepEqual(r.values, [140, 140 * 141 / 2, 140]);
  assert.ok(r.warnings.some((w) => /snapshot generation \d+/.test(w)), r.warnings.join('\n'));
  assert.ok((await rawIdb.keys(page, 'compact', 'chunks')).includes(chunkKeys[chunkKeys.length - 1]), 'the damaged chunk is kept');
  await page.close();
});

test('a reload during compactions loads a consistent home', async () => {
  const page = await browser.newPage();
  const script = `
    local n = _home.n or 0
    while true do
      n = n + 1
      _home.n = n
      _home.pair = { a = n, b = n, pad = string.rep("x", 2000) }
      if n % 20 == 0 then sleep(0) end
    end`;
  for (let trial = 0; trial < 4; trial += 1) {
    await page.evaluate(async (script) => {
      const { Lua } = await import('/luahome.js');
      const lua = await Lua.open({ home: 'compact-reload', saveEveryMs: 0 });
      lua.run(script).catch(() => {});
    }, script);
    await page.waitForTimeout(700 + trial * 230);
    await page.reload();
  }
  const r = await runOn(page, 'compact-reload', `
    local n, pair = _home.n, _home.pair
    assert(pair.a == pair.b and (pair.a == n or pair.a == n - 1), "pair " .. tostring(pair.a) .. " n " .. tostring(n))
    return n`);
  assert.ok(r.values[0] > 100, `made progress (${r.values[0]})`);
  assert.deepEqual(r.warnings, []);
  const logKeys = await rawIdb.keys(page, 'compact-reload', 'log');
  assert.ok(logKeys.length <= 2 * 64 + 8, `the log stays bounded (${logKeys.length})`);
  await page.close();
});

test('export, import, homeSnapshot and the Memory alias switch', async () => {
  const page = await browser.newPage();
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const src = await Lua.open({ home: 'export-src' });
    await src.run('_home.t = { 1, 2, { deep = "yes" } }; local c = 7; _home.get = function() return c end');
    const bytes = await src.exportHome();
    const tree = src.homeSnapshot();
    await src.close();
    const dst = await Lua.open({ home: 'export-dst' });
    await dst.run('_home.old = true');
    let refused = null;
    try { await dst.importHome(bytes.slice(0, bytes.length - 5)); } catch (e) { refused = e.message; }
    const stillOld = await dst.run('return _home.old');
    await dst.importHome(bytes);
    const imported = await dst.run('return _home.old, _home.t[3].deep, _home.get()');
    dst.setMemoryAliasEnabled(false);
    const alias = await dst.run('return Memory == nil, _home.t[1]');
    await dst.close();
    return { isBytes: bytes instanceof Uint8Array, tree, refused, stillOld, imported, alias };
  });
  assert.ok(r.isBytes);
  assert.ok(r.refused && r.refused.length > 0, 'a damaged export is refused');
  assert.deepEqual(r.stillOld, [true]);
  assert.deepEqual(r.imported, [null, 'yes', 7]);
  assert.deepEqual(r.alias, [true, 1]);
  const get = r.tree.entries.find((e) => e.key === 'get').value;
  assert.deepEqual([get.type, get.chunk, get.line], ['function', 'main', 1]);
  await page.reload();
  assert.deepEqual((await runOn(page, 'export-dst', 'return _home.t[2], _home.old')).values, [2, null]);
  await page.close();
});

test('a failed write (quota exceeded) is reported, the runtime keeps running, a later save catches up', async () => {
  const page = await browser.newPage();
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const warnings = [];
    const lua = await Lua.open({ home: 'quota', onWarning: (w) => warnings.push(w) });
    await lua.run('_home.small = 1');
    // Headless Chromium's quota cannot be lowered reliably from a test, so
    // the store's writes fail the way a full disk makes them fail.
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    const values = await lua.run('_home.big = string.rep("x", 200000); return #_home.big');
    let saveError = null;
    try { await lua.save(); } catch (e) { saveError = e.message; }
    const still = await lua.run('_home.after = 3; return 1 + 1');
    IDBObjectStore.prototype.add = add;
    await lua.save();
    return { values, saveError, still, warnings };
  });
  assert.deepEqual(r.values, [200000]);
  assert.match(r.saveError, /quota/i);
  assert.deepEqual(r.still, [2]);
  assert.ok(r.warnings.some((w) => /quota/i.test(w)), r.warnings.join('\n'));
  await page.reload();
  assert.deepEqual((await runOn(page, 'quota', 'return #_home.big, _home.small, _home.after')).values, [200000, 1, 3]);
  await page.close();
});

test('without IndexedDB the home is kept in memory, with a warning', async () => {
  const page = await browser.newPage();
  const r = await page.evaluate(async () => {
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
    const { Lua } = await import('/luahome.js');
    const warnings = [];
    const lua = await Lua.open({ home: 'no-idb', onWarning: (w) => warnings.push(w) });
    await lua.run('_home.x = { 1 }');
    const values = await lua.run('return _home.x[1], rawequal(_home, Memory)');
    const backend = lua.home.backend;
    await lua.close();
    return { values, backend, warnings };
  });
  assert.deepEqual(r.values, [1, true]);
  assert.equal(r.backend, 'memory');
  assert.ok(r.warnings.some((w) => w.includes('kept in memory only')), r.warnings.join('\n'));
  await page.close();
});

test('worker mode persists _home too', async () => {
  const page = await browser.newPage();
  await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ home: 'worker-home', worker: true });
    await lua.run('_home.fromWorker = { v = "w" }');
    await lua.close();
  });
  await page.reload();
  assert.deepEqual((await runOn(page, 'worker-home', 'return _home.fromWorker.v')).values, ['w']);
  await page.close();
});
