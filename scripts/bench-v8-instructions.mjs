// Instructions executed in V8's optimised code for the wasm, per engine: runs
// one benchmark of bench/ in Node under callgrind with TurboFan only
// (`node --no-liftoff --print-wasm-code`), maps each executed x86 instruction
// to the wasm function whose code V8 printed at that address, and prints the
// total in wasm code and the hottest functions. Unlike timings these counts
// are deterministic (a benchmark whose tables' hash seeds matter, json,
// moves by ~2 %), and luahome's against wasmoon's follow Chromium's time
// ratios (README, "V8's own code: fifteenth pass").
//
//   node scripts/bench-v8-instructions.mjs fib 24
//   node scripts/bench-v8-instructions.mjs closures 24000 --engines luahome --top 12
//   node scripts/bench-v8-instructions.mjs fib 24 --pkg target/other-build   # LUAHOME_PKG
//   node scripts/bench-v8-instructions.mjs fib 24 --hot dispatch             # per instruction
//   node scripts/bench-v8-instructions.mjs fib 24 --sim   # + simulated branch and cache misses
//
// --sim runs callgrind's branch and cache simulation too and prints, per
// function, mispredicted conditional (Bcm) and indirect (Bim) branches and
// first-level data-cache misses (D1 = D1mr + D1mw): instruction counts alone
// miss what the dispatch's indirect jump and the spilled state cost.
//
// Needs valgrind (Debian: apt-get install valgrind). Sizes: a run under
// callgrind is ~50x slower, so use about a tenth of the quick size (the
// README's table used fib 24, method_call 60000, closures 24000, fannkuch 7,
// binary_trees 9, varargs 10000, json 2). Function names need a package
// built with `wasm-opt -g` (WASM_OPT_FLAGS in scripts/lib.sh); otherwise
// functions are `wasm-function[N]`. Nothing is asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const engines = opt('--engines', 'luahome,wasmoon').split(',');
const top = Number(opt('--top', '6'));
const pkg = opt('--pkg', null);
const hot = opt('--hot', null);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && args.splice(i, 1).length > 0;
};
const sim = flag('--sim');
const [bench, size] = args;
if (!bench || !size) {
  console.error('usage: node scripts/bench-v8-instructions.mjs BENCH SIZE [--engines luahome,wasmoon] [--top N] [--pkg DIR] [--hot FN] [--sim]');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('needs valgrind (Debian: apt-get install valgrind)');
  process.exit(2);
}

/**
 * Costs per address from callgrind's output with --dump-instr=yes: a map of
 * address to the event counts in `events` order (`events` filled from the
 * file's `events:` line; Ir first).
 */
function costsOf(file, events) {
  const costs = new Map();
  let last = 0;
  let inCall = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('events: ')) {
      events.push(...line.slice(8).trim().split(' '));
      continue;
    }
    if (line.startsWith('calls=')) {
      inCall = true; // the next cost line is the call's inclusive cost
      continue;
    }
    const parts = line.split(' ');
    const a = parts[0];
    if (parts.length < 3 || !(a.startsWith('0x') || '+-*'.includes(a[0]))) {
      inCall = false;
      continue;
    }
    let addr;
    if (a.startsWith('0x')) addr = Number.parseInt(a, 16);
    else if (a[0] === '+') addr = last + (a.length > 1 ? Number(a.slice(1)) : 0);
    else if (a[0] === '-') addr = last - Number(a.slice(1));
    else addr = last;
    last = addr;
    if (inCall) {
      inCall = false;
      continue;
    }
    let c = costs.get(addr);
    if (!c) costs.set(addr, (c = []));
    for (let i = 2; i < parts.length; i++) c[i - 2] = (c[i - 2] ?? 0) + Number(parts[i]);
  }
  return costs;
}

/** [{ name, ins: [[addr, text]] }] from --print-wasm-code's output. */
function functionsOf(text) {
  const fns = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('name: ')) {
      cur = { name: line.slice(6).trim(), ins: [] };
      fns.push(cur);
      continue;
    }
    const m = /^0x([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (m && cur) cur.ins.push([Number.parseInt(m[1], 16), m[2].trimEnd()]);
  }
  return fns;
}

for (const engine of engines) {
  const dir = mkdtempSync(join(tmpdir(), 'v8-instr-'));
  const out = join(dir, 'callgrind.out');
  const env = { ...process.env, ...(pkg && engine === 'luahome' ? { LUAHOME_PKG: resolve(root, pkg) } : {}) };
  const run = spawnSync('valgrind', [
    '--tool=callgrind', '--dump-instr=yes', '--smc-check=all', `--callgrind-out-file=${out}`,
    ...(sim ? ['--branch-sim=yes', '--cache-sim=yes'] : []),
    'node', '--no-liftoff', '--print-wasm-code',
    join(root, 'scripts/bench/node-engine.mjs'), engine === 'luahome' ? 'luahome:luahome' : engine,
    join(root, 'bench', `${bench}.lua`), size,
  ], { cwd: root, env, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`${engine}: the run failed\n${run.stderr.slice(-2000)}`);
    process.exit(1);
  }
  const events = [];
  const costs = costsOf(out, events);
  rmSync(dir, { recursive: true, force: true });
  // The simulated events shown with --sim: [label, events summed].
  const shown = [['Bcm', ['Bcm']], ['Bim', ['Bim']], ['D1', ['D1mr', 'D1mw']]]
    .map(([label, names]) => [label, names.map((e) => events.indexOf(e)).filter((i) => i >= 0)])
    .filter(([, idx]) => sim && idx.length > 0);
  const sumOf = (c, idx) => idx.reduce((s, i) => s + (c?.[i] ?? 0), 0);
  const fns = functionsOf(run.stdout);
  const totals = fns.map((f) => {
    const n = f.ins.reduce((s, [a]) => s + (costs.get(a)?.[0] ?? 0), 0);
    const extra = shown.map(([, idx]) => f.ins.reduce((s, [a]) => s + sumOf(costs.get(a), idx), 0));
    return { f, n, extra };
  });
  totals.sort((x, y) => y.n - x.n);
  const inWasm = totals.reduce((s, t) => s + t.n, 0);
  const extraAll = shown.map((_, i) => totals.reduce((s, t) => s + t.extra[i], 0));
  const fmt = (xs) => xs.map((x, i) => `  ${shown[i][0]} ${(x / 1e6).toFixed(2)}M`).join('');
  console.log(`${bench} ${size} ${engine}: ${(inWasm / 1e6).toFixed(1)}M instructions in wasm code${fmt(extraAll)}`);
  for (const { f, n, extra } of totals.slice(0, top)) {
    if (n > 0) console.log(`  ${(n / 1e6).toFixed(1).padStart(8)}M  ${(100 * n / inWasm).toFixed(1).padStart(5)} %  ${f.name}${fmt(extra)}`);
  }
  if (hot) {
    const f = totals.find((t) => t.f.name.includes(hot))?.f;
    if (!f) console.log(`  (no function matching ${hot})`);
    for (const [a, text] of f?.ins ?? []) {
      const c = costs.get(a);
      const n = c?.[0] ?? 0;
      const more = shown.map(([label, idx]) => sumOf(c, idx) ? ` ${label}=${sumOf(c, idx)}` : '').join('');
      if (n > 0) console.log(`${String(n).padStart(12)} ${a.toString(16)}: ${text}${more}`);
    }
  }
}
