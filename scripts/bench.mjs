// The bench suite runner (printed numbers, never asserted). Runs bench/*.lua
// on every engine it finds, interleaved (run r of every engine on benchmark b
// before run r + 1), checks each run's output against the reference Lua's,
// and prints medians, ratios to PUC Lua, geometric means and peak memory;
// then start-up, size, slicing and `_home` figures.
//
//   node scripts/bench.mjs [--runs 3] [--quick | --smoke] [--only fib,json]
//        [--engines puc-5.4.8,luahome-cli:piccolo,...] [--no-extras]
//        [--smoke] [--json results.json]
//
// Usually started by scripts/bench.sh, which builds what the engines need.
// Engines (each skipped, with the reason, when its program is missing):
//   puc-5.4.8        PUC Lua 5.4.8 built by scripts/bench.sh (LUA548=path)
//   puc-5.4.4        Debian's lua5.4
//   luars            the luars crate (bench/luars-runner, built on request)
//   luahome-cli:C    target/release/luahome --engine C, for each core C in
//                    LUAHOME_ENGINES (default: piccolo,luahome)
//   luahome-node:C, wasmoon-node, fengari-node       in Node, one process per run
//   luahome-chromium:C, wasmoon-chromium, fengari-chromium   one page per run
// Time: CPU (user + system) for native runs and Node; wall time in Chromium
// (the page cannot see its CPU time). Memory: peak RSS for native processes;
// in Node and Chromium the wasm linear memory (its peak: it never shrinks)
// plus the JS heap in use after the run (fengari: the JS heap only).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const SMOKE = flag('--smoke');
const RUNS = SMOKE ? 1 : Number(opt('--runs', 3));
// Sizes from bench/suite.json: `size` (PUC Lua 0.3-2 s), `quick` (~1/5 of
// that work) or `smoke` (tiny, checksums only).
const SIZE_KEY = SMOKE ? 'smoke' : flag('--quick') ? 'quick' : 'size';
const TIMEOUT_MS = Number(opt('--timeout', 300)) * 1000;
const suite = JSON.parse(readFileSync(join(ROOT, 'bench/suite.json'), 'utf8')).benchmarks;
const only = opt('--only', null)?.split(',');
const benches = suite.filter((b) => !only || only.includes(b.name));
const sizeOf = (b) => b[SIZE_KEY];
const fileOf = (b) => join(ROOT, 'bench', `${b.name}.lua`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const log = (...m) => console.error(...m);

// ---------------------------------------------------------------- processes

function runProcess(cmd, argv, { timeoutMs = TIMEOUT_MS, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut: signal === 'SIGKILL' });
    });
  });
}

// A native interpreter under /usr/bin/time (peak RSS) and bash's `times`
// (the child's user and system time to the millisecond; time's own %U/%S
// have 10 ms steps).
async function runNative(argv, b) {
  const dir = mkdtempSync(join(tmpdir(), 'luahome-bench-'));
  const timeFile = join(dir, 'time');
  const timesFile = join(dir, 'times');
  try {
    const script = '"$@"; s=$?; times > "$TIMES_FILE"; exit $s';
    const r = await runProcess('/usr/bin/time', ['-f', '%M', '-o', timeFile, 'bash', '-c', script, 'bench',
      ...argv, fileOf(b), String(sizeOf(b))], { env: { ...process.env, TIMES_FILE: timesFile } });
    if (r.timedOut) return { error: 'timeout' };
    if (r.code !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
    const rssKB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
    // `times`: the shell's own user/system line, then its children's.
    const secs = (t) => { const m = /(\d+)m([\d.]+)s/.exec(t); return Number(m[1]) * 60 + Number(m[2]); };
    const [user, sys] = readFileSync(timesFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(secs);
    return { output: r.stdout, ms: (user + sys) * 1000, peakKB: rssKB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runNode(engine, b) {
  const r = await runProcess(process.execPath, [join(ROOT, 'scripts/bench/node-engine.mjs'), engine,
    fileOf(b), String(sizeOf(b))]);
  if (r.timedOut) return { error: 'timeout' };
  let j;
  try {
    j = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  }
  if (j.error) return { error: j.error };
  // Memory as in Chromium: the wasm linear memory (its peak) + the JS heap in
  // use after the run; the process's peak RSS (V8's compiled code and Node
  // included) is kept as rssKB.
  return { output: j.output, ms: j.cpuMs, wallMs: j.wallMs, peakKB: (j.wasmBytes + j.heapBytes) / 1024,
    rssKB: j.peakKB, wasmBytes: j.wasmBytes };
}

// ---------------------------------------------------------------- Chromium

let browser = null;
async function openBrowser() {
  if (browser) return browser;
  const { chromium } = await import('playwright-core');
  const { startServer } = await import('./serve.mjs');
  const { CHROMIUM_ARGS } = await import('../web/tests/harness.mjs');
  const server = await startServer({ rootDir: ROOT, listenPort: 0, cacheSeconds: 3600 });
  const base = `http://127.0.0.1:${server.address().port}`;
  const launch = async () => {
    const profile = mkdtempSync(join(tmpdir(), 'luahome-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'],
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  };
  const main = await launch();
  browser = {
    base,
    launch,
    context: main.context,
    async close() {
      await main.close();
      await new Promise((ok) => server.close(ok));
    },
  };
  return browser;
}

// Runs in the page: one benchmark on one engine; returns output, wall time and memory.
async function inPage({ engine: engineArg, source, chunkName, size }) {
  const [engine, core] = engineArg.split(':');
  const setArg = `arg = { [0] = ${JSON.stringify(chunkName)}, ${JSON.stringify(String(size))} }`;
  const heap = () => (performance.memory ? performance.memory.usedJSHeapSize : 0);
  const loadScript = (src) => new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = ok;
    s.onerror = () => fail(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
  if (globalThis.gc) globalThis.gc();
  if (engine === 'luahome') {
    // luahome.js keeps its wasm instance to itself: note every wasm memory
    // instantiated from here on to read its size after the run.
    const memories = [];
    const note = (result) => {
      const instance = result instanceof WebAssembly.Instance ? result : result.instance;
      if (instance?.exports?.memory) memories.push(instance.exports.memory);
      return result;
    };
    const { instantiate, instantiateStreaming } = WebAssembly;
    WebAssembly.instantiate = (...a) => instantiate.apply(WebAssembly, a).then(note);
    WebAssembly.instantiateStreaming = (...a) => instantiateStreaming.apply(WebAssembly, a).then(note);
    const { Lua } = await import('/web/luahome.js');
    const lua = await Lua.open(core ? { persist: false, engine: core } : { persist: false });
    let output = '';
    lua.onOutput = (t) => { output += t; };
    await lua.run(setArg, { chunkName: 'arg' });
    const t0 = performance.now();
    await lua.run(source, { chunkName });
    const ms = performance.now() - t0;
    const mem = { wasmBytes: memories.reduce((a, m) => a + m.buffer.byteLength, 0), heapBytes: heap() };
    await lua.close();
    return { output, ms, ...mem };
  }
  if (engine === 'wasmoon') {
    await loadScript('/node_modules/wasmoon/dist/index.js');
    const factory = new globalThis.wasmoon.LuaFactory('/node_modules/wasmoon/dist/glue.wasm');
    const lua = await factory.createEngine();
    let output = '';
    lua.global.set('print', (...a) => { output += a.map(String).join('\t') + '\n'; });
    await lua.doString(setArg);
    const t0 = performance.now();
    await lua.doString(source);
    const ms = performance.now() - t0;
    const module = (await factory.getLuaModule()).module;
    return { output, ms, wasmBytes: module.HEAPU8.buffer.byteLength, heapBytes: heap() };
  }
  if (engine === 'fengari') {
    await loadScript('/node_modules/fengari-web/dist/fengari-web.js');
    const { lua, lauxlib, lualib, to_luastring, to_jsstring } = globalThis.fengari;
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);
    let output = '';
    lua.lua_pushjsfunction(L, (st) => {
      const parts = [];
      for (let i = 1; i <= lua.lua_gettop(st); i++) {
        parts.push(to_jsstring(lauxlib.luaL_tolstring(st, i)));
        lua.lua_pop(st, 1);
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
    exec(setArg, 'arg');
    const t0 = performance.now();
    exec(source, chunkName);
    const ms = performance.now() - t0;
    return { output, ms, wasmBytes: 0, heapBytes: heap() };
  }
  throw new Error(`unknown engine ${engine}`);
}

async function runChromium(engine, b) {
  const br = await openBrowser();
  const page = await br.context.newPage();
  try {
    await page.goto(`${br.base}/web/tests/blank.html`);
    const source = readFileSync(fileOf(b), 'utf8');
    const run = page.evaluate(inPage, { engine, source, chunkName: `${b.name}.lua`, size: sizeOf(b) });
    const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error('timeout')), TIMEOUT_MS));
    const r = await Promise.race([run, timeout]);
    return { output: r.output, ms: r.ms, wallMs: r.ms, peakKB: (r.wasmBytes + r.heapBytes) / 1024, wasmBytes: r.wasmBytes };
  } catch (e) {
    return { error: String(e.message || e).split('\n')[0] };
  } finally {
    await page.close().catch(() => {});
  }
}

// ---------------------------------------------------------------- engines

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;
}

function defineEngines() {
  const all = [];
  const lua548 = process.env.LUA548 || join(ROOT, 'target/bench/lua-5.4.8/lua');
  all.push({ id: 'puc-5.4.8', host: 'native', label: 'PUC Lua 5.4.8 (-O2)',
    missing: existsSync(lua548) ? null : `no ${lua548} (scripts/bench.sh builds it from a lua/lua git mirror: LUA_GIT_DIR)`,
    run: (b) => runNative([lua548], b) });
  const lua544 = which('lua5.4');
  all.push({ id: 'puc-5.4.4', host: 'native', label: "PUC Lua 5.4 (Debian's lua5.4)",
    missing: lua544 ? null : 'lua5.4 not installed', run: (b) => runNative([lua544], b) });
  const luars = process.env.LUARS || join(ROOT, 'bench/luars-runner/target/release/luars-bench');
  all.push({ id: 'luars', host: 'native', label: 'luars (crate, pure-Rust Lua 5.5)',
    missing: existsSync(luars) ? null : 'not built (scripts/bench.sh --luars)', run: (b) => runNative([luars], b) });
  const cli = process.env.LUAHOME || join(ROOT, 'target/release/luahome');
  const hasCli = existsSync(cli);
  const engineFlag = hasCli && spawnSync(cli, ['--help'], { encoding: 'utf8' }).stdout.includes('--engine');
  const cores = CORES;
  for (const c of cores) {
    const argv = engineFlag ? [cli, '--engine', c] : [cli];
    all.push({ id: `luahome-cli:${c}`, host: 'native', luahome: true, label: `luahome CLI, ${c} core`,
      missing: !hasCli ? `no ${cli} (cargo build --release --bin luahome)`
        : !engineFlag && c !== 'piccolo' ? 'this CLI has no --engine flag' : null,
      run: (b) => runNative(argv, b) });
  }
  const pkg = existsSync(join(ROOT, 'web/luahome_bg.wasm'));
  const mod = (name) => existsSync(join(ROOT, 'node_modules', name));
  const chromium = existsSync(process.env.CHROMIUM || '/usr/bin/chromium');
  const jsEngines = [
    ...cores.map((c) => [`luahome:${c}`, pkg, 'no web/luahome_bg.wasm (build_web in scripts/lib.sh)', true]),
    ['wasmoon', mod('wasmoon'), 'npm package wasmoon not installed', false],
    ['fengari', mod('fengari') && mod('fengari-web'), 'npm packages fengari/fengari-web not installed', false],
  ];
  for (const [name, ok, why, luahome] of jsEngines) {
    const [base, core] = name.split(':');
    const suffix = core ? `:${core}` : '';
    all.push({ id: `${base}-node${suffix}`, host: 'node', luahome, label: `${name} in Node`,
      missing: ok ? null : why, run: (b) => runNode(name, b) });
    all.push({ id: `${base}-chromium${suffix}`, host: 'chromium', luahome, label: `${name} in Chromium`,
      missing: !ok ? why : !chromium ? 'no /usr/bin/chromium' : null, run: (b) => runChromium(name, b) });
  }
  const wanted = opt('--engines', null)?.split(',');
  return all.filter((e) => !wanted || wanted.includes(e.id));
}

// Output of the reference Lua for a benchmark (home benchmarks with a plain
// table as `_home`), computed once: every engine's output must equal it.
const expected = new Map();
function expectedOutput(b) {
  if (expected.has(b.name)) return expected.get(b.name);
  const lua = process.env.LUA548 && existsSync(process.env.LUA548) ? process.env.LUA548
    : existsSync(join(ROOT, 'target/bench/lua-5.4.8/lua')) ? join(ROOT, 'target/bench/lua-5.4.8/lua')
      : which('lua5.4');
  let out = null;
  if (lua) {
    const pre = b.home ? ['-e', '_home = {}'] : [];
    const r = spawnSync(lua, [...pre, fileOf(b), String(sizeOf(b))], { encoding: 'utf8', timeout: TIMEOUT_MS });
    if (r.status === 0) out = r.stdout;
  }
  expected.set(b.name, out);
  return out;
}

// ---------------------------------------------------------------- main

const CORES = (process.env.LUAHOME_ENGINES || 'piccolo,luahome').split(',');
const engines = defineEngines();
for (const e of engines.filter((x) => x.missing)) log(`skipping ${e.id}: ${e.missing}`);
const active = engines.filter((e) => !e.missing);
const results = {}; // results[bench][engine] = { runs: [...], error }
for (const b of benches) {
  results[b.name] = {};
  for (const e of active) results[b.name][e.id] = { runs: [], error: null };
}

const started = Date.now();
for (let r = 0; r < RUNS; r++) {
  for (const b of benches) {
    const want = expectedOutput(b);
    // Rotate the engine order each round so no engine always runs right after another.
    const order = active.map((_, i) => active[(i + r) % active.length]);
    for (const e of order) {
      const slot = results[b.name][e.id];
      if (b.home && !e.luahome) { slot.error = 'n/a: _home is luahome only'; continue; }
      if (slot.error) continue; // failed once: not repeated
      const res = await e.run(b);
      if (res.error) {
        slot.error = res.error;
      } else if (want !== null && res.output !== want) {
        slot.error = `wrong output: ${JSON.stringify(res.output.slice(0, 80))} (expected ${JSON.stringify(want.slice(0, 80))})`;
      } else {
        slot.runs.push(res);
      }
      log(`[${r + 1}/${RUNS}] ${b.name} n=${sizeOf(b)} ${e.id}: ${slot.error ? `FAIL ${slot.error}` : `${res.ms.toFixed(0)} ms, ${(res.peakKB / 1024).toFixed(1)} MB`}`);
    }
  }
}
if (browser) await browser.close();

// ---------------------------------------------------------------- report

const base = active.find((e) => e.id === 'puc-5.4.8') || active.find((e) => e.id === 'puc-5.4.4');
const med = (b, e) => {
  const s = results[b][e];
  return !s || s.error || !s.runs.length ? null : median(s.runs.map((x) => x.ms));
};
const medPeak = (b, e) => {
  const s = results[b][e];
  return !s || s.error || !s.runs.length ? null : median(s.runs.map((x) => x.peakKB)) / 1024;
};

if (SMOKE) {
  let bad = 0;
  for (const b of benches) {
    for (const e of active) {
      const s = results[b.name][e.id];
      if (s.error && !s.error.startsWith('n/a')) { bad++; console.log(`FAIL ${b.name} on ${e.id}: ${s.error}`); }
    }
  }
  console.log(bad ? `${bad} failures` : `all ${benches.length} benchmarks gave the reference output on ${active.map((e) => e.id).join(', ')}`);
  process.exit(bad ? 1 : 0);
}

const lines = [];
const out = (s = '') => { lines.push(s); console.log(s); };
out(`### Bench suite (${new Date().toISOString().slice(0, 10)}, median of ${RUNS}, sizes \`${SIZE_KEY}\`, ${((Date.now() - started) / 60000).toFixed(1)} min)`);
out();
out(`Cells: time relative to ${base ? base.label : '(no PUC Lua)'} and the median in ms (CPU time natively and in Node, wall time in Chromium).`);
out();
out(`| benchmark | n | ${active.map((e) => e.id).join(' | ')} |`);
out(`|---|---:|${active.map(() => '---:').join('|')}|`);
const ratios = Object.fromEntries(active.map((e) => [e.id, []]));
for (const b of benches) {
  const bm = base ? med(b.name, base.id) : null;
  const cells = active.map((e) => {
    const s = results[b.name][e.id];
    if (s.error) return s.error.startsWith('n/a') ? 'n/a' : s.error === 'timeout' ? 'timeout' : 'FAIL';
    const m = med(b.name, e.id);
    if (bm && !b.home) ratios[e.id].push(m / bm);
    return bm && !b.home ? `${(m / bm).toFixed(2)}× (${m.toFixed(0)})` : `${m.toFixed(0)} ms`;
  });
  out(`| ${b.name} | ${sizeOf(b)} | ${cells.join(' | ')} |`);
}
const nonHome = benches.filter((b) => !b.home).length;
out(`| **geometric mean** | | ${active.map((e) => {
  const r = ratios[e.id];
  if (!r.length) return 'n/a';
  return `**${geomean(r).toFixed(2)}×**${r.length < nonHome ? ` (${r.length}/${nonHome})` : ''}`;
}).join(' | ')} |`);
out();
// Same-host comparisons: luahome against wasmoon and fengari where both ran.
for (const lh of active.filter((e) => /^luahome-(node|chromium)/.test(e.id)).map((e) => e.id)) {
  const hostName = lh.includes('chromium') ? 'chromium' : 'node';
  for (const other of [`wasmoon-${hostName}`, `fengari-${hostName}`]) {
    if (!active.find((e) => e.id === lh) || !active.find((e) => e.id === other)) continue;
    const rs = [];
    let faster = 0;
    for (const b of benches.filter((x) => !x.home)) {
      const a = med(b.name, lh);
      const o = med(b.name, other);
      if (a && o) { rs.push(a / o); if (a < o) faster++; }
    }
    if (rs.length) out(`- ${lh} / ${other}: geometric mean ${geomean(rs).toFixed(2)}× (faster on ${faster} of ${rs.length})`);
  }
}
out();
out('Peak memory, MB (native: peak RSS of the process; Node and Chromium: wasm linear memory + JS heap in use after the run):');
out();
out(`| benchmark | ${active.map((e) => e.id).join(' | ')} |`);
out(`|---|${active.map(() => '---:').join('|')}|`);
for (const b of benches) {
  out(`| ${b.name} | ${active.map((e) => {
    const p = medPeak(b.name, e.id);
    return p === null ? 'n/a' : p.toFixed(1);
  }).join(' | ')} |`);
}
const failures = [];
for (const b of benches) {
  for (const e of active) {
    const s = results[b.name][e.id];
    if (s.error && !s.error.startsWith('n/a')) failures.push(`- ${b.name} on ${e.id}: ${s.error}`);
  }
}
if (failures.length) { out(); out('Failures:'); for (const f of failures) out(f); }

// ---------------------------------------------------------------- extras

function runScript(path) {
  const r = spawnSync(process.execPath, [join(ROOT, path)], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  return (r.stdout || '') + (r.status === 0 ? '' : `(${path} failed: ${(r.stderr || '').trim().split('\n').pop()})\n`);
}

if (!flag('--no-extras') && existsSync(join(ROOT, 'web/luahome_bg.wasm'))) {
  out();
  out('Sizes (bytes, raw / gzip -9):');
  out();
  const sizes = [['luahome web/luahome_bg.wasm', 'web/luahome_bg.wasm'],
    ['luahome web/luahome_wasm.js + web/luahome.js', ['web/luahome_wasm.js', 'web/luahome.js']],
    ['wasmoon dist/glue.wasm', 'node_modules/wasmoon/dist/glue.wasm'],
    ['wasmoon dist/index.js', 'node_modules/wasmoon/dist/index.js'],
    ['fengari-web dist/fengari-web.js', 'node_modules/fengari-web/dist/fengari-web.js']];
  out('| file | raw | gzip |');
  out('|---|---:|---:|');
  for (const [label, files] of sizes) {
    const list = [files].flat().map((f) => join(ROOT, f));
    if (!list.every(existsSync)) continue;
    const body = Buffer.concat(list.map((f) => readFileSync(f)));
    out(`| ${label} | ${body.length} | ${gzipSync(body, { level: 9 }).length} |`);
  }
  if (existsSync('/usr/bin/chromium')) {
    out();
    out(runScript('scripts/bench-startup.mjs').trim());
    out();
    out('```');
    out(runScript('scripts/bench-slicing.mjs').trim());
    out('```');
    out();
    out(runScript('scripts/bench-home.mjs').trim());
  }
}

if (opt('--json', null)) {
  writeFileSync(opt('--json'), JSON.stringify({ date: new Date().toISOString(), runs: RUNS, sizes: SIZE_KEY,
    engines: active.map(({ id, label }) => ({ id, label })), results, n: benches.map((b) => [b.name, sizeOf(b)]) }, null, 1));
}
if (opt('--markdown', null)) writeFileSync(opt('--markdown'), lines.join('\n') + '\n');
// The report is out. Something can still hold Node's event loop open after
// the browser closed (seen in two runs on 2026-12-03: the process idled after
// writing the markdown until it was killed), so end here.
process.exit(0);
