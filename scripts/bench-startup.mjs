// Benchmark (printed, never asserted): start-up in headless Chromium, from
// `import()` of web/luahome.js to the first `print` output, split into its
// phases: import (luahome.js + the glue), compile (WebAssembly.compileStreaming
// of luahome_bg.wasm, as Lua.open does), open (instantiate + a runtime with its
// standard library, and `_home` when persisted), first print (load + run of
// `print("hello")` to its output). Uncached: a fresh profile (nothing in the
// HTTP or code cache); cached: the third page of the same profile (served
// with max-age, so the browser may reuse its compiled code). Also a second
// Lua.open in the same page (the module already compiled and instantiated),
// and "user": a fourth page of the profile starting as pages do (Lua.open
// fetching and compiling the wasm itself, so fetches can overlap).
// Usage: node scripts/bench-startup.mjs [--runs 5] [--engines piccolo,luahome]
//          [--packages web,target/before]
//   (after scripts/serve.sh, test.sh or bench.sh built the package in web/).
//   --packages: package folders under the repository (luahome.js, luahome_wasm.js,
//   luahome_bg.wasm), measured interleaved run by run so that a before/after
//   comparison sees the same machine load (default: web).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
import { CHROMIUM_ARGS } from '../web/tests/harness.mjs';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const RUNS = Number(opt('--runs', 5));
// --linger MS: keep each page open that long after its run (V8 writes its
// wasm code cache only after a delay or enough optimised code).
const LINGER = Number(opt('--linger', 0));
const PACKAGES = opt('--packages', 'web').split(',').map((p) => p.replace(/^\/+|\/+$/g, ''));
const CORES = opt('--engines', process.env.LUAHOME_ENGINES || 'piccolo,luahome').split(',');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Runs in the page: the phases of one start-up, in ms.
async function startOnce([engine, persist, pkg]) {
  const t0 = performance.now();
  const { Lua } = await import(`/${pkg}/luahome.js`);
  const t1 = performance.now();
  const file = engine === 'piccolo' ? 'luahome_piccolo_bg.wasm' : 'luahome_bg.wasm';
  const wasmModule = await WebAssembly.compileStreaming(fetch(`/${pkg}/${file}`));
  const t2 = performance.now();
  const options = { engine, wasmModule, ...(persist ? { home: 'startup' } : { persist: false }) };
  const lua = await Lua.open(options);
  const t3 = performance.now();
  const first = new Promise((ok) => { lua.onOutput = () => ok(performance.now()); });
  await lua.run('print("hello")');
  const t4 = await first;
  await lua.close();
  const t5 = performance.now();
  const again = await Lua.open({ ...options, home: persist ? 'startup2' : undefined });
  const t6 = performance.now();
  await again.close();
  return { import: t1 - t0, compile: t2 - t1, open: t3 - t2, print: t4 - t3, total: t4 - t0, reopen: t6 - t5 };
}

// Runs in the page: a start-up as a page does it (Lua.open fetches and
// compiles the wasm itself), import() to the first print output, in ms.
async function startAsUser([engine, persist, pkg]) {
  const t0 = performance.now();
  const { Lua } = await import(`/${pkg}/luahome.js`);
  const lua = await Lua.open({ engine, ...(persist ? { home: 'startup-user' } : { persist: false }) });
  const first = new Promise((ok) => { lua.onOutput = () => ok(performance.now()); });
  await lua.run('print("hello")');
  const t1 = await first;
  await lua.close();
  return t1 - t0;
}

const server = await startServer({ rootDir: ROOT, listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
const PHASES = ['user', 'total', 'import', 'compile', 'open', 'print', 'reopen'];
console.log(`start-up in headless Chromium, ms (median of ${RUNS}; total = import() to the first print output with the phases timed apart; user = the same as a page does it, Lua.open fetching and compiling the wasm itself, cached only)`);
console.log(`| engine, home | cache | ${PHASES.join(' | ')} |`);
console.log(`|---|---|${PHASES.map(() => '---:').join('|')}|`);
for (const [engine, persist] of CORES.flatMap((c) => [[c, false], [c, true]])) {
  const cold = PACKAGES.map(() => []);
  const warm = PACKAGES.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [p, pkg] of PACKAGES.entries()) {
      const profile = mkdtempSync(join(tmpdir(), 'luahome-bench-startup-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
      });
      for (let k = 0; k < 4; k++) {
        const page = await context.newPage();
        await page.goto(`${base}/web/tests/blank.html`);
        if (k === 3) {
          warm[p][warm[p].length - 1].user = await page.evaluate(startAsUser, [engine, persist, pkg]);
        } else {
          const r = await page.evaluate(startOnce, [engine, persist, pkg]);
          if (k === 0) cold[p].push(r);
          if (k === 2) warm[p].push(r);
        }
        if (LINGER > 0) await page.waitForTimeout(LINGER);
        await page.close();
      }
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
  for (const [p, pkg] of PACKAGES.entries()) {
    for (const [cache, rs] of [['uncached', cold[p]], ['cached', warm[p]]]) {
      const cells = PHASES.map((ph) => (rs[0][ph] === undefined ? '' : median(rs.map((r) => r[ph])).toFixed(1)));
      const label = PACKAGES.length > 1 ? `${pkg}: ` : '';
      console.log(`| ${label}${engine}, ${persist ? 'IndexedDB' : 'persist: false'} | ${cache} | ${cells.join(' | ')} |`);
    }
  }
}
await new Promise((ok) => server.close(ok));
