// Builds the playground site (web/playground -> web/playground/dist): the
// pages and their scripts bundled with esbuild, importing the package
// `luahome` (web/, linked into node_modules by the root package.json) through
// its public exports only; the worker entry bundled beside them and the wasm
// copied, so the package's default file locations work. Relative paths only:
// the folder can be deployed anywhere as it is.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC = join(ROOT, 'web/playground');
const OUT = join(SRC, 'dist');
const require = createRequire(join(ROOT, 'package.json'));

export async function buildSite({ minify = true } = {}) {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: SRC,
    entryPoints: [
      { in: './app.js', out: 'app' },
      { in: './conformance.js', out: 'conformance' },
      { in: 'luahome/worker', out: 'luahome-worker' },
    ],
    bundle: true,
    format: 'esm',
    splitting: true,
    target: ['chrome96', 'firefox100', 'safari15'],
    minify,
    sourcemap: 'linked',
    outdir: OUT,
    // Shared chunks sit beside the entries: the package finds its wasm next to itself.
    chunkNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  await copyFile(require.resolve('luahome/luahome_bg.wasm'), join(OUT, 'luahome_bg.wasm'));
  // The piccolo engine's module, absent from a WASM_PICCOLO=0 build (the
  // site's engine switch then reports that engine missing).
  const piccolo = join(dirname(require.resolve('luahome/luahome_bg.wasm')), 'luahome_piccolo_bg.wasm');
  if (existsSync(piccolo)) await copyFile(piccolo, join(OUT, 'luahome_piccolo_bg.wasm'));
  else console.error('web/luahome_piccolo_bg.wasm is missing: the site has no piccolo engine');
  for (const file of await readdir(SRC)) {
    if (/\.(html|css|txt|svg)$/.test(file)) await copyFile(join(SRC, file), join(OUT, file));
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await buildSite();
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.error(`web/playground/dist: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KB of JS (+ luahome_bg.wasm, luahome_piccolo_bg.wasm)`);
}
