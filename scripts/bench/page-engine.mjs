// Loaded by pages of the Chromium bench scripts (bench-warm.mjs,
// bench-warmup.mjs, perf-chromium.mjs), which import it from the server
// running at the repository root: one engine opened in the page, `arg` set
// from `setArg`, printed output discarded. `run(source)` runs a chunk to
// its end. luahome comes from the package folder `path` (a path under the
// served root), wasmoon from node_modules.
export async function openEngine({ engine, path = 'web', setArg }) {
  if (engine === 'luahome') {
    const { Lua } = await import(`/${path}/luahome.js`);
    const lua = await Lua.open({ persist: false });
    lua.onOutput = () => {};
    await lua.run(setArg, { chunkName: 'arg' });
    return {
      run: (source) => lua.run(source, { chunkName: 'bench.lua' }),
      close: () => lua.close(),
    };
  }
  if (engine === 'wasmoon') {
    await new Promise((ok, fail) => {
      const s = document.createElement('script');
      s.src = '/node_modules/wasmoon/dist/index.js';
      s.onload = ok;
      s.onerror = () => fail(new Error('cannot load wasmoon'));
      document.head.appendChild(s);
    });
    const factory = new globalThis.wasmoon.LuaFactory('/node_modules/wasmoon/dist/glue.wasm');
    const lua = await factory.createEngine();
    lua.global.set('print', () => {});
    await lua.doString(setArg);
    return { run: (source) => lua.doString(source), close: async () => {} };
  }
  throw new Error(`unknown engine ${engine}`);
}
