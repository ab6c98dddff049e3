// The installable package (issue 15), used as a consumer uses it: `npm pack`
// of web/, the tarball installed into fresh fixture apps in a temporary folder
// (a plain page served from a sub-path, an esbuild bundle, a Vite build and
// the Vite dev server, Node, a TypeScript file under tsc --strict), each run in
// headless Chromium; publint and attw on the package. Only the tarball is
// installed (offline): esbuild, Vite and tsc come from the repository's
// devDependencies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { build as viteBuild, createServer as viteServer } from 'vite';
import { openBrowser } from './harness.mjs';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');

let tmp;
let app;
let tarball;
let browser;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'luahome-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: join(ROOT, 'web') });
  tarball = join(tmp, JSON.parse(stdout)[0].filename);
  // The fixture apps share one folder and one install of the tarball.
  app = join(tmp, 'app');
  await cp(FIXTURES, app, { recursive: true });
  for (const dir of ['plain', 'esbuild', 'vite']) await cp(join(FIXTURES, 'main.js'), join(app, dir, 'main.js'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fixture-apps', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', '--no-package-lock', tarball], { cwd: app });

  // esbuild: the app and the worker entry bundled, the wasm files copied beside them.
  await esbuild.build({
    absWorkingDir: join(app, 'esbuild'),
    entryPoints: [{ in: './main.js', out: 'main' }, { in: 'luahome/worker', out: 'luahome-worker' }],
    bundle: true,
    format: 'esm',
    outdir: join(app, 'esbuild/dist'),
    logLevel: 'error',
  });
  for (const wasm of ['luahome_bg.wasm', 'luahome_piccolo_bg.wasm']) {
    await cp(join(app, 'node_modules/luahome/', wasm), join(app, 'esbuild/dist/', wasm));
  }
  await cp(join(app, 'esbuild/index.html'), join(app, 'esbuild/dist/index.html'));

  // Vite: a production build with the app's own config.
  await viteBuild({ root: join(app, 'vite'), logLevel: 'error', configFile: join(app, 'vite/vite.config.js') });

  // Served from a sub-path: the apps live under /apps/ of the origin.
  browser = await openBrowser({ root: tmp });
});

after(async () => {
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// Loads `url`, waits for the fixture's result; checks that every request
// stayed on `origin`.
async function resultOf(page, url, origin) {
  const outside = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(origin) && !req.url().startsWith('blob:') && !req.url().startsWith('data:')) {
      outside.push(req.url());
    }
  });
  await page.goto(url);
  await page.locator('body[data-result]').waitFor({ timeout: 30_000 });
  const result = JSON.parse(await page.locator('body').getAttribute('data-result'));
  assert.deepEqual(outside, [], 'no request leaves the origin');
  return result;
}

async function checkApp(url, origin) {
  const page = await browser.context.newPage();
  const first = await resultOf(page, url, origin);
  assert.equal(first.error, undefined, first.error);
  assert.equal(first.main, 'visits\t1\n');
  assert.equal(first.backend, 'indexeddb');
  assert.equal(first.isLuaError, true);
  assert.equal(first.worker, 'worker\t42\n');
  assert.deepEqual(first.values, ['Lua 5.4']);
  // piccolo 0.3.3 truncates -7 // 2 (README, known limits): its module loaded.
  assert.deepEqual(first.piccolo, [-3]);
  assert.deepEqual(first.warnings, []);
  await page.evaluate(() => { delete document.body.dataset.result; });
  const second = await resultOf(page, url, origin);
  assert.equal(second.main, 'visits\t2\n', '_home survived the reload');
  await page.close();
}

test('npm pack holds exactly the package files', async () => {
  const { stdout } = await run('tar', ['tzf', tarball]);
  assert.deepEqual(stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort(), [
    'CHANGELOG.md', 'LICENSE', 'README.md', 'luahome-worker.d.ts', 'luahome-worker.js', 'luahome.d.ts',
    'luahome.js', 'luahome_bg.wasm', 'luahome_piccolo_bg.wasm', 'luahome_wasm.js', 'package.json',
  ]);
});

test('a plain HTML page (import map, no bundler) served from a sub-path', async () => {
  await checkApp(`${browser.base}/app/plain/index.html?home=plain`, browser.base);
});

test('an esbuild bundle', async () => {
  await checkApp(`${browser.base}/app/esbuild/dist/index.html?home=esbuild`, browser.base);
});

test('a Vite production build', async () => {
  const assets = await readdir(join(app, 'vite/dist/assets'));
  assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 2, `Vite emitted both wasm files: ${assets}`);
  await checkApp(`${browser.base}/app/vite/dist/index.html?home=vite`, browser.base);
});

test('the Vite dev server', async () => {
  const server = await viteServer({
    root: join(app, 'vite'),
    configFile: join(app, 'vite/vite.config.js'),
    logLevel: 'error',
    server: { port: 0, host: '127.0.0.1', hmr: false },
  });
  await server.listen();
  try {
    const origin = `http://127.0.0.1:${server.httpServer.address().port}`;
    await checkApp(`${origin}/`, origin);
  } finally {
    await server.close();
  }
});

test('Node 20+ imports the package and runs a chunk (_home in memory, with a warning)', async () => {
  const { stdout } = await run(process.execPath, ['node/run.mjs'], { cwd: app, timeout: 60_000 });
  const r = JSON.parse(stdout);
  assert.equal(r.out, 'node\t42\n');
  assert.deepEqual(r.values, [3, 'three']);
  assert.equal(r.backend, 'memory');
  assert.match(r.warnings.join('\n'), /_home is kept in memory only \(IndexedDB is not available/);
});

test('a TypeScript app compiles against the declarations with tsc --strict', async () => {
  await run(join(BIN, 'tsc'), ['-p', join(app, 'ts/tsconfig.json')], { cwd: app });
  // And the declarations are precise enough to catch a mistake.
  await writeFile(join(app, 'ts/main.ts'), 'import { Lua } from "luahome";\nconst n: number = Lua.open();\n');
  await assert.rejects(run(join(BIN, 'tsc'), ['-p', join(app, 'ts/tsconfig.json')], { cwd: app }));
});

test('publint and arethetypeswrong pass', async () => {
  await run(join(BIN, 'publint'), ['run', tarball, '--strict']);
  // The wasm subpath is a file for bundlers and fetch(), not a module with types.
  await run(join(BIN, 'attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii',
    '--exclude-entrypoints', './luahome_bg.wasm', './luahome_piccolo_bg.wasm']);
});
