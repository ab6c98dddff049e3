// What V8 compiles, and how long it takes, when pages of headless Chromium
// open a runtime and run a chunk: Chromium runs with
// `--js-flags=--trace-wasm-compilation-times`, whose lines (one per compiled
// function: tier, time, body size, code size) come back through Playwright's
// browser log. Prints, per page, the Liftoff and TurboFan totals (Liftoff's
// lazy compilation runs on the main thread as functions are first called;
// TurboFan's in the background once a function is hot, and a fresh page runs
// in Liftoff code until it is done), then the functions that took longest.
// Function names come from the module's name section when the package has
// one (a names-kept build: wasm-opt with `-g`), else `#index`.
//
//   node scripts/wasm-compile-times.mjs                         # web/, print("hello"), 2 pages
//   node scripts/wasm-compile-times.mjs --pages 3 --top 15 \
//     --chunk 'local function f(n) if n < 2 then return n end return f(n-1) + f(n-2) end print(f(27))'
//   node scripts/wasm-compile-times.mjs --pkg /tmp/names-kept-build
//
// Each page is new (a new renderer: the module is compiled again). Nothing
// is asserted; times vary with the machine's load.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const root = fileURLToPath(new URL('..', import.meta.url));
const pages = Number(opt('--pages', '2'));
const top = Number(opt('--top', '10'));
const chunk = opt('--chunk', 'print("hello")');
const pkg = resolve(root, opt('--pkg', 'web'));

// Function names by index (imports first), from the name section if any.
function functionNames(bytes) {
  const names = new Map();
  let i = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    for (;;) {
      const b = bytes[i++];
      r |= (b & 0x7f) << s;
      s += 7;
      if (b < 0x80) return r >>> 0;
    }
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 0) {
      const len = leb();
      const name = new TextDecoder().decode(bytes.subarray(i, i + len));
      i += len;
      if (name === 'name') {
        while (i < end) {
          const sub = bytes[i++];
          const subSize = leb();
          const subEnd = i + subSize;
          if (sub === 1) {
            for (let n = leb(); n > 0; n--) {
              const index = leb();
              const l = leb();
              names.set(index, new TextDecoder().decode(bytes.subarray(i, i + l)));
              i += l;
            }
          }
          i = subEnd;
        }
      }
    }
    i = end;
  }
  return names;
}
const names = functionNames(readFileSync(join(pkg, 'luahome_bg.wasm')));
const nameOf = (index) => (names.get(index) ?? `#${index}`).replace(/\[[0-9a-f]{16}\]/g, '');

// The package as a path under the served root.
const links = mkdtempSync(join(root, '.wasm-compile-times-'));
let served = relative(root, pkg);
if (served.startsWith('..')) {
  symlinkSync(pkg, join(links, 'pkg'));
  served = relative(root, join(links, 'pkg'));
}

// V8 prints to the renderer's stdout, which Playwright passes on only as
// its `pw:browser` debug log (on stderr): that log is turned on before
// Playwright loads, and its compile lines are taken out of stderr.
process.env.DEBUG = [process.env.DEBUG, 'pw:browser'].filter(Boolean).join(',');
const compiled = [];
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  let other = '';
  for (const line of String(chunk).split('\n')) {
    const m = /Compiled function (0x[0-9a-f]+)#(\d+) using (\w+), took (\d+) (μs|ms).*bodysize (\d+) codesize (\d+)/.exec(line);
    if (m) {
      compiled.push({
        module: m[1], index: Number(m[2]), tier: m[3],
        us: Number(m[4]) * (m[5] === 'ms' ? 1000 : 1), body: Number(m[6]), code: Number(m[7]),
      });
    } else if (line && !line.includes('pw:browser')) {
      other += `${line}\n`;
    }
  }
  return other ? stderrWrite(other, ...rest) : true;
};
const { chromium } = await import('playwright-core');
const { startServer } = await import('./serve.mjs');
const { CHROMIUM_ARGS } = await import('../web/tests/harness.mjs');

const server = await startServer({ rootDir: root, listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), 'luahome-compile-times-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [...CHROMIUM_ARGS, '--js-flags=--trace-wasm-compilation-times'],
});

try {
  for (let p = 0; p < pages; p++) {
    const page = await context.newPage();
    await page.goto(`${base}/web/tests/blank.html`);
    const seen = compiled.length;
    const r = await page.evaluate(async ([path, src]) => {
      const t0 = performance.now();
      const { Lua } = await import(`/${path}/luahome.js`);
      const lua = await Lua.open({ persist: false });
      let out = '';
      lua.onOutput = (s) => { out += s; };
      const t1 = performance.now();
      await lua.run(src);
      const t2 = performance.now();
      await lua.close();
      return { open: t1 - t0, run: t2 - t1, out: out.trim() };
    }, [served, chunk]);
    // Background compilations may still be arriving: give them a moment.
    await page.waitForTimeout(300);
    await page.close();
    const mine = compiled.slice(seen);
    console.log(`page ${p + 1}: import + open ${r.open.toFixed(1)} ms, run ${r.run.toFixed(1)} ms${r.out ? ` (${r.out.split('\n')[0].slice(0, 40)})` : ''}`);
    for (const tier of ['Liftoff', 'TurboFan']) {
      const fs = mine.filter((f) => f.tier === tier);
      const ms = fs.reduce((s, f) => s + f.us, 0) / 1000;
      const kb = fs.reduce((s, f) => s + f.body, 0) / 1024;
      console.log(`  ${tier}: ${fs.length} functions, ${kb.toFixed(1)} KB of bodies, ${ms.toFixed(1)} ms`);
    }
    const tf = mine.filter((f) => f.tier === 'TurboFan');
    if (tf.length) console.log(`  TurboFan, in the order finished: ${tf.map((f) => nameOf(f.index).replace(/^.*::/, '').slice(0, 24)).join(', ')}`);
    for (const f of [...mine].sort((a, b) => b.us - a.us).slice(0, top)) {
      console.log(`    ${(f.us / 1000).toFixed(2).padStart(7)} ms  ${f.tier.padEnd(8)} body ${String(f.body).padStart(6)}  code ${String(f.code).padStart(6)}  ${nameOf(f.index).slice(0, 90)}`);
    }
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(links, { recursive: true, force: true });
}
