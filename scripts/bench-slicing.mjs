// Benchmark (printed, never asserted): slicing overhead in headless Chromium.
// The same CPU-bound script runs to completion in one runSlice call, then
// through Lua.run with 1, 4 and 16 ms slices (persist: false: this measures
// slicing, scripts/bench-home.mjs measures the store); also the stop() latency.
// Usage: node scripts/bench-slicing.mjs   (after scripts/serve.sh or test.sh built the package in web/)
import { openBrowser } from '../web/tests/harness.mjs';

const SCRIPT = `
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local s = 0
for i = 1, 3 do s = s + fib(25) end
local t = {}
for i = 1, 200000 do t[i] = i * 2 end
for i = 1, #t do s = s + t[i] end
return s`;

const browser = await openBrowser();
const page = await browser.newPage();
const results = await page.evaluate(async (script) => {
  const { createBindings } = await import('/luahome_wasm.js');
  const pkg = createBindings();
  await pkg({ module_or_path: '/luahome_bg.wasm' });
  const { Lua } = await import('/luahome.js');
  const rounds = 5;
  const out = {};
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const oneCall = () => {
    const rt = new pkg.LuaRuntime({});
    rt.load(script, 'bench');
    const t0 = performance.now();
    const status = rt.runSlice(2 ** 31 - 1);
    const t = performance.now() - t0;
    if (status !== 2) throw new Error(`one-call run ended with status ${status}`);
    rt.free();
    return t;
  };
  const sliced = async (sliceMs) => {
    let slices = 0;
    const lua = await Lua.open({ persist: false, sliceMs });
    lua.onStatus = (s) => { slices = s.slices; };
    const t0 = performance.now();
    await lua.run(script, { chunkName: 'bench' });
    const t = performance.now() - t0;
    await lua.close();
    return [t, slices];
  };
  // Warm-up first: V8 runs each wasm function as Liftoff code until
  // TurboFan has compiled it, and one runSlice call keeps the code it was
  // entered with for its whole run (wasm has no on-stack replacement), so a
  // cold one-call run measured Liftoff against sliced runs that picked up
  // TurboFan's code (negative "overheads"). Then the kinds of run alternate.
  for (let i = 0; i < 4; i++) await sliced(4);
  const once = [];
  const times = { 1: [], 4: [], 16: [] };
  const counts = {};
  for (let i = 0; i < rounds; i++) {
    once.push(oneCall());
    for (const sliceMs of [1, 4, 16]) {
      const [t, n] = await sliced(sliceMs);
      times[sliceMs].push(t);
      counts[sliceMs] = n;
    }
  }
  out['one call'] = median(once);
  for (const sliceMs of [1, 4, 16]) {
    out[`${sliceMs} ms slices`] = median(times[sliceMs]);
    out[`${sliceMs} ms slice count`] = counts[sliceMs];
  }

  const stops = [];
  for (let i = 0; i < 10; i++) {
    const lua = await Lua.open();
    const run = lua.run('while true do end');
    await new Promise((ok) => setTimeout(ok, 50));
    const t0 = performance.now();
    lua.stop();
    await run.catch(() => {});
    stops.push(performance.now() - t0);
    await lua.close();
  }
  out['stop latency median'] = median(stops);
  out['stop latency max'] = Math.max(...stops);
  return out;
}, SCRIPT);
await browser.close();

const base = results['one call'];
console.log('slicing overhead (median of 5 runs, headless Chromium)');
console.log(`  one runSlice call:  ${base.toFixed(1)} ms`);
for (const ms of [1, 4, 16]) {
  const t = results[`${ms} ms slices`];
  console.log(`  ${String(ms).padStart(2)} ms slices:      ${t.toFixed(1)} ms  (${results[`${ms} ms slice count`]} slices, overhead ${(((t / base) - 1) * 100).toFixed(1)} %)`);
}
console.log(`stop() to settlement: median ${results['stop latency median'].toFixed(1)} ms, max ${results['stop latency max'].toFixed(1)} ms`);
