// temp experiment: run a bench N times in one Chromium page, print each run's ms
import { chromium } from 'playwright-core';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './serve.mjs';
import { CHROMIUM_ARGS } from '../web/tests/harness.mjs';
const [benches, reps, jsflags, engine] = process.argv.slice(2);
const server = await startServer({ rootDir: process.cwd(), listenPort: 0, cacheSeconds: 3600 });
const base = `http://127.0.0.1:${server.address().port}`;
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'w-')), { executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...(jsflags ? [`--js-flags=${jsflags}`] : [])] });
const suite = JSON.parse(readFileSync('bench/suite.json', 'utf8')).benchmarks;
for (const b of benches.split(',')) {
  const size = suite.find((x) => x.name === b).quick;
  const page = await ctx.newPage();
  await page.goto(`${base}/web/tests/blank.html`);
  const src = readFileSync(`bench/${b}.lua`, 'utf8');
  const r = await page.evaluate(async ({ src, size, reps, b, engine }) => {
    const out = [];
    if (engine === 'wasmoon') {
      await new Promise((ok) => { const s = document.createElement('script'); s.src = '/node_modules/wasmoon/dist/index.js'; s.onload = ok; document.head.appendChild(s); });
      const f = new globalThis.wasmoon.LuaFactory('/node_modules/wasmoon/dist/glue.wasm');
      const lua = await f.createEngine(); lua.global.set('print', () => {});
      await lua.doString(`arg = { [0] = "x", "${size}" }`);
      for (let i = 0; i < reps; i++) { const t0 = performance.now(); await lua.doString(src); out.push(Math.round(performance.now() - t0)); }
      return out;
    }
    const { Lua } = await import('/web/luahome.js');
    const lua = await Lua.open({ persist: false });
    lua.onOutput = () => {};
    await lua.run(`arg = { [0] = "x", "${size}" }`);
    for (let i = 0; i < reps; i++) { const t0 = performance.now(); await lua.run(src, { chunkName: b }); out.push(Math.round(performance.now() - t0)); }
    return out;
  }, { src, size, reps: +reps, b, engine });
  console.log(b, engine || 'luahome', jsflags || '', r.join(' '));
  await page.close();
}
await ctx.close(); server.close();
