// The JS API (web/luahome.js) driven from a plain test page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser } from './harness.mjs';

let browser;
let page;
before(async () => {
  browser = await openBrowser();
  page = await browser.newPage();
});
after(async () => { await browser.close(); });

test('run resolves with the chunk return values converted to JS', async () => {
  const values = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open();
    const v = await lua.run('return 1, 2.5, "x", nil, true, {1, 2, 3}, {a = 1, b = {c = "d"}}, 2^53, math.maxinteger');
    await lua.close();
    return v.map((x) => (typeof x === 'bigint' ? `bigint:${x}` : x));
  });
  assert.deepEqual(values, [1, 2.5, 'x', null, true, [1, 2, 3], { a: 1, b: { c: 'd' } }, 2 ** 53, 'bigint:9223372036854775807']);
});

test('a runtime error rejects with a LuaError naming chunk and line', async () => {
  const err = await page.evaluate(async () => {
    const { Lua, LuaError } = await import('/luahome.js');
    const lua = await Lua.open();
    try {
      await lua.run('local a = 1\n\nerror("boom")', { chunkName: 'cases' });
      return null;
    } catch (e) {
      return { isLuaError: e instanceof LuaError, isError: e instanceof Error, name: e.name,
        kind: e.kind, message: e.message, chunk: e.chunk, line: e.line };
    } finally {
      await lua.close();
    }
  });
  assert.deepEqual(err, { isLuaError: true, isError: true, name: 'LuaError', kind: 'runtime',
    message: 'cases:3: boom', chunk: 'cases', line: 3 });
});

test('a syntax error rejects with kind "syntax" and its line; the state stays usable', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open();
    let err;
    try { await lua.run('print(1)\nlocal = 2', { chunkName: 'bad' }); } catch (e) { err = e; }
    const after = await lua.run('return "ok"');
    await lua.close();
    return { kind: err.kind, line: err.line, chunk: err.chunk, starts: err.message.startsWith('bad:2:'), after };
  });
  assert.deepEqual(r, { kind: 'syntax', line: 2, chunk: 'bad', starts: true, after: ['ok'] });
});

test('stop() rejects a runaway run with kind "stopped", and globals survive', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open();
    await lua.run('counter = 41');
    const started = performance.now();
    const pending = lua.run('while true do end');
    let timerTicks = 0;
    const timer = setInterval(() => { timerTicks += 1; }, 10);
    await new Promise((ok) => setTimeout(ok, 300));
    const stopAt = performance.now();
    lua.stop();
    let err;
    try { await pending; } catch (e) { err = e; }
    const settledMs = performance.now() - stopAt;
    clearInterval(timer);
    const [after] = await lua.run('counter = counter + 1 return counter');
    await lua.close();
    return { kind: err.kind, message: err.message, settledMs, timerTicks, ranMs: stopAt - started, after };
  });
  assert.equal(r.kind, 'stopped');
  assert.equal(r.message, 'stopped');
  assert.ok(r.settledMs < 200, `stop settled in ${r.settledMs} ms`);
  assert.ok(r.timerTicks >= 5, `page timers fired ${r.timerTicks} times during the run`);
  assert.equal(r.after, 42);
});

test('output streams while a chunk is still running', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open();
    const chunks = [];
    let finished = false;
    lua.onOutput = (t) => chunks.push({ t, finished });
    await lua.run('print("first")\nlocal x = 0\nfor i = 1, 3000000 do x = x + i end\nprint("last", x)');
    finished = true;
    await lua.close();
    return chunks;
  });
  assert.equal(r.map((c) => c.t).join(''), 'first\nlast\t4500001500000\n');
  assert.equal(r[0].t, 'first\n');
  assert.equal(r[0].finished, false);
  assert.ok(r.length >= 2, 'first line arrived in its own slice, before the end');
});

test('a second run while one is running is refused with kind "busy"', async () => {
  const kind = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open();
    const first = lua.run('while true do end');
    let kind;
    try { await lua.run('return 1'); } catch (e) { kind = e.kind; }
    lua.stop();
    await first.catch(() => {});
    await lua.close();
    return kind;
  });
  assert.equal(kind, 'busy');
});

test('close() runs the finalizers of objects still alive, as lua_close; a runaway one is cut off', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ syncFuelLimit: 200000 });
    let out = '';
    lua.onOutput = (t) => { out += t; };
    await lua.run(`
      keep = setmetatable({name = 'global'}, {__gc = function(o) print('gc', o.name) end})
      setmetatable({}, {__gc = function() print('gc runaway') while true do end end})
      local l = setmetatable({name = 'local'}, {__gc = function(o) print('gc', o.name) end})
      print('ran')`);
    const started = performance.now();
    await lua.close();
    return { out, ms: performance.now() - started };
  });
  // Newest first: the local, then the runaway one, which stops at the fuel limit.
  assert.equal(r.out, 'ran\ngc\tlocal\ngc runaway\n');
  assert.ok(r.ms < 5000, `close took ${r.ms} ms`);
});

test('every state gets its own math.random sequence (seeded from crypto.getRandomValues)', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const out = [];
    for (let i = 0; i < 3; i++) {
      const lua = await Lua.open();
      const [a, b] = await lua.run('return math.random(1 << 50), select(1, math.randomseed())');
      out.push(`${a}/${b}`);
      await lua.close();
    }
    return out;
  });
  assert.equal(new Set(r).size, 3, `sequences repeat: ${r.join(', ')}`);
});

// Local time is the page's time zone (before, it was UTC in every page):
// os.date's fields, %z, %Z and isdst, and os.time reading a table as local
// time, in the page and in a worker, under two zones Chromium emulates.
test("os.date and os.time use the page's time zone, in the page and in a worker", async () => {
  const summer = 1780000000; // 2026-05-28 20:26:40 UTC
  const winter = 1767225600; // 2026-01-01 00:00:00 UTC
  const cases = [
    { timezoneId: 'America/New_York', westOfUtc: 240, want: ['2026-05-28 16:26:40 -0400 EDT', '19 EST', '20 GMT', true, false, true, winter + 5 * 3600] },
    { timezoneId: 'Asia/Kolkata', westOfUtc: -330, want: ['2026-05-29 01:56:40 +0530 GMT+5:30', '05 GMT+5:30', '20 GMT', false, false, true, winter - 5.5 * 3600] },
  ];
  for (const { timezoneId, westOfUtc, want } of cases) {
    const zoned = await openBrowser({ contextOptions: { timezoneId } });
    try {
      const zonePage = await zoned.newPage();
      const r = await zonePage.evaluate(async ({ summer, winter }) => {
        const { Lua } = await import('/luahome.js');
        const out = [];
        for (const worker of [false, true]) {
          const lua = await Lua.open({ worker, persist: false });
          out.push(await lua.run(`local s, w = ${summer}, ${winter}
            return os.date("%Y-%m-%d %H:%M:%S %z %Z", s), os.date("%H %Z", w), os.date("!%H %Z", s),
              os.date("*t", s).isdst, os.date("*t", w).isdst, os.time(os.date("*t", s)) == s,
              os.time({year = 2026, month = 1, day = 1, hour = 0})`));
          await lua.close();
        }
        return { out, westOfUtc: new Date(summer * 1000).getTimezoneOffset() };
      }, { summer, winter });
      assert.equal(r.westOfUtc, westOfUtc, `the page's zone is ${timezoneId}`);
      assert.deepEqual(r.out, [want, want], timezoneId);
    } finally {
      await zoned.close();
    }
  }
});

// os.clock in a page has no CPU time to read: it counts seconds since the
// state was made (performance.now()); it was always 0.0 before. os.time is
// the wall clock.
test('os.clock advances with the work done, in the page and in a worker; os.time is the wall clock', async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const out = [];
    for (const worker of [false, true]) {
      const lua = await Lua.open({ worker, persist: false });
      const t0 = performance.now();
      const [start, spent, time] = await lua.run(
        'local t0 = os.clock() local s = 0 for i = 1, 3e6 do s = s + i end return t0, os.clock() - t0, os.time()');
      out.push({ start, spent, time, wallS: (performance.now() - t0) / 1000, now: Date.now() / 1000 });
      await lua.close();
    }
    return out;
  });
  for (const { start, spent, time, wallS, now } of r) {
    assert.ok(start >= 0 && start < 60, `os.clock() at the start: ${start}`);
    assert.ok(spent > 0.001 && spent <= wallS + 0.01, `the loop took ${spent} s of os.clock in ${wallS} s`);
    assert.ok(Math.abs(time - now) < 5, `os.time() ${time} against Date.now() ${now}`);
  }
});
