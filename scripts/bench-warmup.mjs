#!/usr/bin/env node
// How much of a benchmark's time in headless Chromium is the page's warm-up:
// runs one benchmark of bench/ on luahome and wasmoon (1) once in each of
// several fresh pages, as scripts/bench.mjs measures it (every page is a new
// renderer process: the wasm is compiled again, its functions start as
// Liftoff code and are recompiled by TurboFan as they get hot), and (2)
// several times in one page with one runtime (warm: the TurboFan code is in
// use from the second run). Prints each run's wall time in ms.
//
//   node scripts/bench-warmup.mjs json 8                 # 4 fresh pages, 4 runs in one page
//   node scripts/bench-warmup.mjs closures 240000 --runs 6 --engines luahome
//   node scripts/bench-warmup.mjs json 8 --chromium-arg=--js-flags=--liftoff-only
//
// Nothing here is asserted; single runs in the page vary by up to 2x on a
// loaded machine: compare engines within one invocation.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
import { CHROMIUM_ARGS } from '../web/tests/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const [name, size] = args;
if (!name || !size) {
  console.error('usage: node scripts/bench-warmup.mjs <benchmark> <size> [--runs N] [--engines luahome,wasmoon] '
    + '[--chromium-arg=ARG ...]');
  process.exit(2);
}
const RUNS = Number(opt('--runs', 4));
const ENGINES = opt('--engines', 'luahome,wasmoon').split(',');
const extraArgs = args.filter((a) => a.startsWith('--chromium-arg=')).map((a) => a.slice('--chromium-arg='.length));
const ROOT = new URL('..', import.meta.url).pathname;
const source = readFileSync(join(ROOT, 'bench', `${name}.lua`), 'utf8');

// In the page: `runs` runs of the benchmark in one runtime; their wall times.
async function inPage({ engine, source, size, runs }) {
  const setArg = `arg = { [0] = "bench", ${JSON.stringify(String(size))} }`;
  const { openEngine } = await import('/scripts/bench/page-engine.mjs');
  const lua = await openEngine({ engine, setArg });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await lua.run(source);
    times.push(performance.now() - t0);
  }
  await lua.close();
  return times;
}

const server = await startServer({ rootDir: ROOT, listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), 'luahome-warmup-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [...CHROMIUM_ARGS, ...extraArgs],
});
const show = (ts) => ts.map((t) => t.toFixed(0).padStart(5)).join(' ');
try {
  for (const engine of ENGINES) {
    const fresh = [];
    for (let r = 0; r < RUNS; r++) {
      const page = await context.newPage();
      await page.goto(`${base}/web/tests/blank.html`);
      fresh.push(...await page.evaluate(inPage, { engine, source, size, runs: 1 }));
      await page.close();
    }
    const page = await context.newPage();
    await page.goto(`${base}/web/tests/blank.html`);
    const same = await page.evaluate(inPage, { engine, source, size, runs: RUNS });
    await page.close();
    console.log(`${name} ${size} ${engine.padEnd(8)} fresh pages: ${show(fresh)} | one page: ${show(same)}`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  server.close();
}
process.exit(0);
