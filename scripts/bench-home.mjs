// Benchmark (printed, never asserted): `_home` on IndexedDB in headless Chromium.
//   - flush of 10,000 dirty keys (one log record);
//   - Lua.open of a 100,000-key home, from one big log record and from a
//     compacted snapshot;
//   - flush of one changed key in that big home (only the change is written).
// Targets (issue 4): 10k-key flush <= 100 ms, 100k-key open <= 300 ms.
// Usage: node scripts/bench-home.mjs   (after scripts/serve.sh or test.sh built the package in web/)
import { openBrowser } from '../web/tests/harness.mjs';

const browser = await openBrowser();
const page = await browser.newPage();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rounds = 5;

const flush10k = [];
for (let r = 0; r < rounds; r++) {
  flush10k.push(await page.evaluate(async (r) => {
    const { Lua } = await import('/luahome.js');
    const lua = await Lua.open({ home: `bench-10k-${r}` });
    await lua.run('local t = {} for i = 1, 10000 do t["key" .. i] = i end _home.t = t');
    const ms = lua.home.lastSaveMs;
    await lua.close();
    return ms;
  }, r));
}

await page.evaluate(async () => {
  const { Lua } = await import('/luahome.js');
  const lua = await Lua.open({ home: 'bench-100k' });
  await lua.run('local t = {} for i = 1, 100000 do t[i] = "value " .. i end _home.big = t');
  await lua.close();
});
const openFrom = async (label) => {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    await page.reload();
    times.push(await page.evaluate(async () => {
      const { Lua } = await import('/luahome.js');
      await (await Lua.open({ home: 'bench-warmup', persist: false })).close();
      const t0 = performance.now();
      const lua = await Lua.open({ home: 'bench-100k' });
      const ms = performance.now() - t0;
      const [n] = await lua.run('return #_home.big');
      if (n !== 100000) throw new Error(`loaded ${n} entries`);
      await lua.close();
      return ms;
    }));
  }
  return [label, median(times)];
};
const fromLog = await openFrom('open 100k keys (log replay)');
await page.evaluate(async () => {
  const { Lua } = await import('/luahome.js');
  const lua = await Lua.open({ home: 'bench-100k' });
  await lua.compactHome();
  await lua.close();
});
const fromSnapshot = await openFrom('open 100k keys (snapshot)');
const oneKey = await page.evaluate(async () => {
  const { Lua } = await import('/luahome.js');
  const lua = await Lua.open({ home: 'bench-100k' });
  const times = [];
  for (let i = 0; i < 5; i++) {
    await lua.run(`_home.big[7] = ${i}`);
    times.push(lua.home.lastSaveMs);
  }
  await lua.close();
  return times.sort((a, b) => a - b)[2];
});

const rows = [
  ['flush 10k dirty keys', median(flush10k)],
  fromLog,
  fromSnapshot,
  ['flush 1 changed key in a 100k-key home', oneKey],
];
console.log('| measurement | median ms |');
console.log('|---|---|');
for (const [label, ms] of rows) console.log(`| ${label} | ${ms.toFixed(1)} |`);
await browser.close();
