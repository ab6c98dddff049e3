// The engine switch in the browser: Lua.open({ engine: 'luahome' }) runs the
// project's own compiler and interpreter (in the page and in a worker), the
// default; { engine: 'piccolo' } picks piccolo 0.3.3's core.
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

const TABLE = `
  local out = {}
  local a, b = 1, 2  a, b = b, a  out[#out + 1] = a .. " " .. b
  local V = {} V.__index = V
  V.__add = function(p, q) return setmetatable({x = p.x + q.x}, V) end
  out[#out + 1] = (setmetatable({x = 1}, V) + setmetatable({x = 2}, V)).x
  out[#out + 1] = ("x"):rep(3) .. ("%d"):format(3)
  local t <const> = 5  out[#out + 1] = t
  out[#out + 1] = -7 // 2 .. " " .. 3.0 .. ""
  return table.concat(out, "|")`;

for (const worker of [false, true]) {
  test(`engine 'luahome' gives Lua 5.4's answers (worker: ${worker})`, async () => {
    const r = await page.evaluate(async ({ src, worker }) => {
      const { Lua } = await import('/luahome.js');
      const lua = await Lua.open({ engine: 'luahome', worker, persist: false });
      const [answers] = await lua.run(src);
      let err;
      try { await lua.run('local cfg  print(cfg.x)', { chunkName: 'input' }); } catch (e) { err = e; }
      let syntax;
      try { await lua.run('x = = 1', { chunkName: 'bad' }); } catch (e) { syntax = e; }
      let nested;
      try {
        await lua.run('local function f(t)\n  return t.x.y\nend\nf({})', { chunkName: 'nest' });
      } catch (e) { nested = e; }
      await lua.close();
      return { answers, message: err.message, line: err.line, traceback: err.traceback,
        nested: { message: nested.message, traceback: nested.traceback },
        syntax: { kind: syntax.kind, line: syntax.line, message: syntax.message } };
    }, { src: TABLE, worker });
    assert.equal(r.answers, '2 1|3|xxx3|5|-4 3.0');
    assert.equal(r.message, "input:1: attempt to index a nil value (local 'cfg')");
    assert.equal(r.line, 1);
    // LuaError.traceback: the Lua frames with lines, as lua5.4 prints them.
    assert.equal(r.traceback, 'stack traceback:\n\tinput:1: in main chunk\n\t[C]: in ?');
    assert.deepEqual(r.nested, {
      message: "nest:2: attempt to index a nil value (field 'x')",
      traceback: "stack traceback:\n\tnest:2: in local 'f'\n\tnest:4: in main chunk\n\t[C]: in ?",
    });
    assert.deepEqual(r.syntax, { kind: 'syntax', line: 1, message: "bad:1: unexpected symbol near '='" });
  });
}

test("engine 'luahome' runs in slices: stop() ends while true do end", async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ engine: 'luahome', persist: false });
    const pending = lua.run('while true do end');
    await new Promise((ok) => setTimeout(ok, 200));
    lua.stop();
    let kind;
    try { await pending; } catch (e) { kind = e.kind; }
    const [after] = await lua.run('return 6 * 7');
    await lua.close();
    return { kind, after };
  });
  assert.deepEqual(r, { kind: 'stopped', after: 42 });
});

test("the project's core is the default, piccolo's is picked by name; an unknown engine is refused", async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ persist: false });
    const [v] = await lua.run('return -7 // 2');
    await lua.close();
    const old = await Lua.open({ persist: false, engine: 'piccolo' });
    const [w] = await old.run('return -7 // 2');
    await old.close();
    let msg;
    try { await Lua.open({ engine: 'nope', persist: false }); } catch (e) { msg = String(e.message ?? e); }
    return { v, w, msg };
  });
  // Lua 5.4 floors //; piccolo 0.3.3 truncates for negative integers (README, known limits).
  assert.equal(r.v, -4);
  assert.equal(r.w, -3);
  assert.match(r.msg, /unknown engine 'nope'/);
});

// piccolo's compiler is in a second module: a page that never asks for the
// piccolo engine never fetches it, and the default module refuses that engine
// by name instead of running something else.
test("engine 'piccolo' fetches luahome_piccolo_bg.wasm, only then; the default module has no piccolo compiler", async () => {
  const fresh = await browser.newPage();
  const wasm = [];
  fresh.on('request', (req) => { if (req.url().endsWith('.wasm')) wasm.push(new URL(req.url()).pathname); });
  await fresh.goto(page.url());
  const r = await fresh.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ persist: false });
    const [v] = await lua.run('return -7 // 2');
    await lua.close();
    const before = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
      .filter((p) => p.endsWith('.wasm'));
    const worker = await Lua.open({ engine: 'piccolo', worker: true, persist: false });
    const [w] = await worker.run('return -7 // 2');
    await worker.close();
    let refused;
    try {
      await Lua.open({ engine: 'piccolo', persist: false, wasmUrl: '/luahome_bg.wasm' });
    } catch (e) { refused = String(e.message ?? e); }
    return { v, w, before, refused };
  });
  await fresh.close();
  assert.equal(r.v, -4);
  assert.equal(r.w, -3);
  assert.deepEqual(r.before, ['/luahome_bg.wasm']);
  assert.deepEqual([...new Set(wasm)].sort(), ['/luahome_bg.wasm', '/luahome_piccolo_bg.wasm']);
  assert.match(r.refused, /engine 'piccolo' is not in this build/);
});

// A user's saved closures survive the engine change: a function the piccolo
// core stored in _home runs on the default module (piccolo's VM is in it).
test("a closure stored by the piccolo engine runs on the default module's luahome engine", async () => {
  const r = await page.evaluate(async () => {
    const { Lua } = await import('/luahome.js');
    const home = `engines-${Math.random().toString(36).slice(2)}`;
    const old = await Lua.open({ engine: 'piccolo', home });
    await old.run('local n = 10\n_home.add = function(x) n = n + x return n end\n_home.add(1)');
    await old.close();
    const lua = await Lua.open({ home });
    const [a, b] = await lua.run('return _home.add(5), _home.add(0)');
    let err;
    try { await lua.run('return _home.add({})'); } catch (e) { err = e.kind; }
    await lua.close();
    return { a, b, err };
  });
  assert.deepEqual(r, { a: 16, b: 16, err: 'runtime' });
});
