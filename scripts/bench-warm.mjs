// Steady-state times in headless Chromium: each benchmark runs 5 times in one
// page with one runtime (2 warm-up runs, then the median of 3 is kept), for
// each package given and wasmoon, a fresh page per package and benchmark,
// packages interleaved; each figure is the best of `--rounds` pages. Unlike
// scripts/bench.mjs (one run per fresh page, where V8's tier-up is part of
// the figure) this compares the code V8 ends up running; differences of 2-3 %
// are within its noise. Nothing is asserted.
// --fresh: instead, one run in each fresh page (as scripts/bench.mjs measures,
// V8's tier-up included), the median over the rounds (default 5 then).
//
//   node scripts/bench-warm.mjs                                  # web/ and wasmoon, all 17, quick sizes
//   node scripts/bench-warm.mjs --packages web,/tmp/other-build --only fib,fannkuch
//   node scripts/bench-warm.mjs --rounds 3 --no-wasmoon
//   node scripts/bench-warm.mjs --fresh --packages web,/tmp/other-build --only fib,method_call
//
// A package folder holds luahome.js, luahome_wasm.js and luahome_bg.wasm (as
// web/ does after `build_web`); it is served from the repository root, so a
// folder outside the repository is linked into a temporary one inside it.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
import { CHROMIUM_ARGS } from '../web/tests/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const root = fileURLToPath(new URL('..', import.meta.url));
const fresh = args.includes('--fresh');
const rounds = Number(opt('--rounds', fresh ? '5' : '2'));
const only = opt('--only', null)?.split(',');
const packages = opt('--packages', 'web').split(',');
const withWasmoon = !args.includes('--no-wasmoon');
const suite = JSON.parse(readFileSync(join(root, 'bench/suite.json'), 'utf8')).benchmarks
  .filter((b) => !b.name.startsWith('home_') && (!only || only.includes(b.name)));

// Each package as a path under the served root.
const links = mkdtempSync(join(root, '.bench-warm-'));
const served = packages.map((p, i) => {
  const abs = resolve(root, p);
  const rel = relative(root, abs);
  if (!rel.startsWith('..')) return rel;
  symlinkSync(abs, join(links, String(i)));
  return relative(root, join(links, String(i)));
});
const engines = [...served.map((s, i) => ({ label: packages[i], path: s })),
  ...(withWasmoon ? [{ label: 'wasmoon', path: null }] : [])];

const server = await startServer({ rootDir: root, listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), 'luahome-bench-warm-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
});

async function inPage({ path, source, size, runs }) {
  const setArg = `arg = { [0] = "bench.lua", "${size}" }`;
  const { openEngine } = await import('/scripts/bench/page-engine.mjs');
  const lua = await openEngine({ engine: path ? 'luahome' : 'wasmoon', path, setArg });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await lua.run(source);
    times.push(performance.now() - t0);
  }
  return times;
}

// Each page's figure, by benchmark and engine: the median of its last
// three runs, or with --fresh its one run.
const samples = new Map();
const medianOf = (xs) => {
  const v = [...xs].sort((x, y) => x - y);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
try {
  for (let r = 0; r < rounds; r++) {
    for (const b of suite) {
      const source = readFileSync(join(root, 'bench', `${b.name}.lua`), 'utf8');
      for (const e of engines) {
        const page = await context.newPage();
        await page.goto(`${base}/web/tests/blank.html`);
        const times = await page.evaluate(inPage, { path: e.path, source, size: b.quick, runs: fresh ? 1 : 5 });
        await page.close();
        const key = `${b.name}|${e.label}`;
        samples.set(key, [...(samples.get(key) ?? []), fresh ? times[0] : medianOf(times.slice(2))]);
      }
    }
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(links, { recursive: true, force: true });
}

// The best page (steady state), or the median page (fresh pages: the
// tier-up's timing varies from page to page).
const best = new Map([...samples].map(([key, xs]) => [key, fresh ? medianOf(xs) : Math.min(...xs)]));
console.log(`| benchmark | n | ${engines.map((e) => e.label).join(' | ')} |`);
console.log(`|---|---:|${engines.map(() => '---:').join('|')}|`);
for (const b of suite) {
  const cells = engines.map((e) => `${best.get(`${b.name}|${e.label}`).toFixed(0)} ms`);
  console.log(`| ${b.name} | ${b.quick} | ${cells.join(' | ')} |`);
}
const geo = (a, z) => Math.exp(suite.reduce((s, b) => s + Math.log(best.get(`${b.name}|${a}`) / best.get(`${b.name}|${z}`)), 0) / suite.length);
const ref = engines[engines.length - 1].label;
for (const e of engines.slice(0, -1)) {
  const faster = suite.filter((b) => best.get(`${b.name}|${e.label}`) < best.get(`${b.name}|${ref}`)).length;
  console.log(`- ${e.label} / ${ref}: geometric mean ${geo(e.label, ref).toFixed(3)}x (faster on ${faster} of ${suite.length})`);
}
