// One benchmark run of a JS/wasm engine inside Node, in its own process
// (spawned by scripts/bench.mjs): loads the engine, sets `arg` like the
// standalone `lua` does, runs the script and prints one JSON line with the
// script's output, CPU time (user + system) and wall time of the run alone
// (start-up excluded), the peak RSS of the process and the engine's wasm
// linear memory (a wasm memory never shrinks, so its size is its peak).
// Usage: node scripts/bench/node-engine.mjs <luahome[:CORE]|wasmoon|fengari> FILE SIZE
//   CORE: luahome's Lua core, `luahome` (default) or `piccolo` (from luahome_piccolo_bg.wasm).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [engineArg, file, size] = process.argv.slice(2);
const [engine, core] = engineArg.split(':');
const source = readFileSync(file, 'utf8');
const chunkName = basename(file);
const root = new URL('../../', import.meta.url);
const require = createRequire(import.meta.url);

function measure(run) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run();
  return Promise.resolve(result).then(() => {
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  });
}

async function luahome() {
  // LUAHOME_PKG: another folder with luahome_wasm.js + luahome_bg.wasm (to compare builds).
  const dir = process.env.LUAHOME_PKG ? pathToFileURL(`${process.env.LUAHOME_PKG}/`) : new URL('web/', root);
  const { createBindings } = await import(new URL('luahome_wasm.js', dir));
  const pkg = createBindings();
  // The piccolo core's compiler is only in the package's second module.
  const file = core === 'piccolo' ? 'luahome_piccolo_bg.wasm' : 'luahome_bg.wasm';
  const wasm = await pkg({ module_or_path: readFileSync(new URL(file, dir)) });
  const rt = new pkg.LuaRuntime(core ? { engine: core } : {});
  let output = '';
  rt.setOutput((text) => { output += text; });
  const runToEnd = (src, name) => {
    rt.load(src, name);
    for (;;) {
      // 1M fuel per slice (~20 ms): the runtime still enters the VM in bounded steps.
      const status = rt.runSlice(1_000_000);
      if (status === 2) return rt.takeResult();
      if (status === 3) throw new Error(JSON.stringify(rt.takeError()));
      if (status !== 1) throw new Error(`unexpected slice status ${status}`);
    }
  };
  runToEnd(`arg = { [0] = ${JSON.stringify(chunkName)}, ${JSON.stringify(size)} }`, 'arg');
  const times = await measure(() => runToEnd(source, chunkName));
  return { output, ...times, wasmBytes: wasm.memory.buffer.byteLength };
}

async function wasmoon() {
  const { LuaFactory } = require('wasmoon');
  const factory = new LuaFactory();
  const lua = await factory.createEngine();
  let output = '';
  lua.global.set('print', (...args) => { output += args.map(String).join('\t') + '\n'; });
  await lua.doString(`arg = { [0] = ${JSON.stringify(chunkName)}, ${JSON.stringify(size)} }`);
  const times = await measure(() => lua.doString(source));
  const module = (await factory.getLuaModule()).module;
  return { output, ...times, wasmBytes: module.HEAPU8.buffer.byteLength };
}

async function fengari() {
  const { lua, lauxlib, lualib, to_luastring, to_jsstring } = require('fengari');
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  let output = '';
  lua.lua_pushjsfunction(L, (L) => {
    const parts = [];
    for (let i = 1; i <= lua.lua_gettop(L); i++) {
      parts.push(to_jsstring(lauxlib.luaL_tolstring(L, i)));
      lua.lua_pop(L, 1);
    }
    output += parts.join('\t') + '\n';
    return 0;
  });
  lua.lua_setglobal(L, to_luastring('print'));
  const exec = (src, name) => {
    if (lauxlib.luaL_loadbuffer(L, to_luastring(src), null, to_luastring(`=${name}`)) !== 0
        || lua.lua_pcall(L, 0, 0, 0) !== 0) {
      throw new Error(lua.lua_tojsstring(L, -1));
    }
  };
  exec(`arg = { [0] = ${JSON.stringify(chunkName)}, ${JSON.stringify(size)} }`, 'arg');
  const times = await measure(() => exec(source, chunkName));
  return { output, ...times, wasmBytes: 0 };
}

const engines = { luahome, wasmoon, fengari };
if (!engines[engine]) {
  console.error(`unknown engine ${engine}`);
  process.exit(2);
}
try {
  const r = await engines[engine]();
  r.peakKB = process.resourceUsage().maxRSS;
  r.heapBytes = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify(r) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\n');
  process.exit(1);
}
