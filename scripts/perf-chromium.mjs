// Where the time goes in V8's code for the wasm, in headless Chromium itself:
// runs one benchmark of bench/ in a page (3 warm-up runs, then 3 runs under
// `perf record`, sampling CPU time of the whole machine), with V8 writing a
// jitdump of every function it compiles (`--perf-prof`); `perf inject --jit`
// turns the dump into symbols and code, and `perf annotate` gives each x86
// instruction's share of the samples. Prints the hottest functions, then the
// hottest instructions and straight-line regions of the hottest one.
//
//   node scripts/perf-chromium.mjs fannkuch 8
//   node scripts/perf-chromium.mjs fib 32 --engine wasmoon
//   node scripts/perf-chromium.mjs json 8 --pkg /tmp/other-build --top 30
//
// Unlike scripts/bench-v8-instructions.mjs (instructions counted under
// callgrind in Node) this sees what instructions cost: a load stalled behind
// stores it cannot be forwarded from shows as a hot instruction (samples land
// on the instruction after the one waiting). Needs `perf` (Debian: linux-perf)
// with CPU-clock sampling allowed (perf_event_paranoid <= 2 as root). Function
// names are `wasm-function[N]`. KEEP=1 keeps the recording (its folder is
// printed). Nothing is asserted.
import { spawn, spawnSync } from 'node:child_process';
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
const engine = opt('--engine', 'luahome');
const pkg = opt('--pkg', 'web');
const top = Number(opt('--top', '20'));
const [bench, size] = args;
if (!bench || !size || spawnSync('perf', ['--version']).status !== 0) {
  console.error('usage: node scripts/perf-chromium.mjs BENCH SIZE [--engine luahome|wasmoon] [--pkg DIR] [--top N]  (needs perf)');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
// (Not named /tmp/perf-*: perf takes any file there for a perf map and reads
// no symbols from the jitted objects.)
const work = mkdtempSync(join(tmpdir(), 'luahome-jit-'));
// The package as a path under the served root (linked when outside it).
let path = relative(root, resolve(root, pkg));
let link = null;
if (path.startsWith('..')) {
  link = mkdtempSync(join(root, '.perf-chromium-'));
  symlinkSync(resolve(root, pkg), join(link, 'pkg'));
  path = relative(root, join(link, 'pkg'));
}

const server = await startServer({ rootDir: root, listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
// V8 writes jit-<pid>.dump into the browser's working directory, this one's.
process.chdir(work);
const profile = mkdtempSync(join(tmpdir(), 'luahome-jit-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: [...CHROMIUM_ARGS, '--js-flags=--perf-prof --no-write-protect-code-memory'],
});
const times = [];
try {
  const page = await context.newPage();
  await page.goto(`${base}/web/tests/blank.html`);
  const source = readFileSync(join(root, 'bench', `${bench}.lua`), 'utf8');
  await page.evaluate(async ({ engine, path, source, size }) => {
    const { openEngine } = await import('/scripts/bench/page-engine.mjs');
    const lua = await openEngine({ engine, path, setArg: `arg = { [0] = "bench.lua", "${size}" }` });
    globalThis.benchRun = () => lua.run(source);
  }, { engine, path, source, size });
  const timed = () => page.evaluate(async () => {
    const t0 = performance.now();
    await globalThis.benchRun();
    return performance.now() - t0;
  });
  for (let i = 0; i < 3; i++) await timed();
  const perf = spawn('perf', ['record', '-N', '-k', 'mono', '-e', 'cpu-clock', '-F', '5000', '-a', '-o', join(work, 'perf.data')],
    { stdio: 'ignore' });
  await new Promise((ok) => setTimeout(ok, 500));
  for (let i = 0; i < 3; i++) times.push(await timed());
  perf.kill('SIGINT');
  await new Promise((ok) => perf.on('exit', ok));
} finally {
  await context.close();
  server.close();
  if (link) rmSync(link, { recursive: true, force: true });
}

// perf's build-id cache kept in the folder (by default ~/.debug gets a copy of
// each of the ~10,000 jitted objects, ~800 MB a run).
const perfIn = (a) => spawnSync('perf', ['--buildid-dir', join(work, 'buildid'), ...a],
  { cwd: work, encoding: 'utf8', maxBuffer: 1 << 30 }).stdout;
perfIn(['inject', '--jit', '-i', 'perf.data', '-o', 'perf.jit.data']);
const report = perfIn(['report', '-i', 'perf.jit.data', '--sort', 'sym', '--stdio']);
const fns = [...report.matchAll(/^\s+([0-9.]+)%\s+\[\.\]\s+(JS:wasm-function\S+)/gm)].map((m) => [Number(m[1]), m[2]]);
console.log(`${bench} ${size} ${engine}${engine === 'luahome' ? ` (${pkg})` : ''}: runs ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
const inWasm = fns.reduce((s, [p]) => s + p, 0);
for (const [p, name] of fns.slice(0, 6)) console.log(`  ${(100 * p / inWasm).toFixed(1).padStart(5)} % of wasm samples  ${name}`);
if (fns.length > 0) {
  const ann = perfIn(['annotate', '-i', 'perf.jit.data', '--stdio', '-s', fns[0][1]]);
  const ins = [...ann.matchAll(/^\s+([0-9.]+)\s+:\s+([0-9a-f]+):\s+(.*)$/gm)].map((m) => [Number(m[1]), m[2], m[3].trim()]);
  console.log(`\nhottest instructions of ${fns[0][1]} (% of its samples):`);
  for (const [p, a, t] of [...ins].sort((x, y) => y[0] - x[0]).slice(0, top)) console.log(`  ${p.toFixed(2).padStart(6)}  ${a}: ${t}`);
  // Straight-line regions (split after each jmp/ret), by their samples.
  const regions = [];
  let cur = [];
  for (const x of ins) {
    cur.push(x);
    if (/^(jmp|ret)/.test(x[2])) { regions.push(cur); cur = []; }
  }
  regions.push(cur);
  const sum = (r) => r.reduce((s, [p]) => s + p, 0);
  console.log('\nhottest regions:');
  for (const r of regions.sort((x, y) => sum(y) - sum(x)).slice(0, 3)) {
    console.log(`  --- ${sum(r).toFixed(2)} % from ${r[0][1]} (${r.length} instructions)`);
    for (const [p, a, t] of r) if (p > 0 || r.length < 60) console.log(`  ${p.toFixed(2).padStart(6)}  ${a}: ${t}`);
  }
}
rmSync(profile, { recursive: true, force: true });
if (process.env.KEEP) console.log(`\nkept: ${work}`);
else rmSync(work, { recursive: true, force: true });
