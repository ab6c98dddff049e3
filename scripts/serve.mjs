// A small static file server (no dependencies): the built playground site by
// default, or any folder. Usage: node scripts/serve.mjs [--port 8080] [--root DIR]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const root = resolve(opt('--root', new URL('../web/playground/dist', import.meta.url).pathname));
const port = Number(opt('--port', process.env.PORT || 8080));
const host = opt('--host', '127.0.0.1');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.lua': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serves `rootDir`. `rules` (for tests) change answers by path: each
 * `{ path: RegExp, status?, headers? }` whose `path` matches the URL path (with its query)
 * sets that status (no body) or adds/overrides those headers. `cacheSeconds` > 0
 * lets the browser cache responses (the benchmarks measure start-up with the
 * wasm in the HTTP cache); by default nothing is cached.
 */
export function startServer({ rootDir = root, listenPort = port, listenHost = host, rules = [], cacheSeconds = 0 } = {}) {
  rootDir = resolve(rootDir);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      const rule = rules.find((r) => r.path.test(url.pathname + url.search));
      if (rule?.status) {
        res.writeHead(rule.status, { 'content-type': 'text/plain', ...rule.headers }).end(`status ${rule.status}`);
        return;
      }
      let path = normalize(join(rootDir, decodeURIComponent(url.pathname)));
      if (!path.startsWith(rootDir)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      res.writeHead(200, {
        'content-type': TYPES[extname(path)] || 'application/octet-stream',
        'cache-control': cacheSeconds > 0 ? `max-age=${cacheSeconds}` : 'no-store',
        ...rule?.headers,
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) => server.listen(listenPort, listenHost, () => ok(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startServer();
  const { port: p } = server.address();
  console.log(`luahome: serving ${root} at http://${host}:${p}/ (Ctrl-C to stop)`);
}
