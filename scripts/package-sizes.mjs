// Measures the files of the package folder (web/) raw and gzipped and writes
// the table into web/README.md between the size markers. Run by build_web.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const web = new URL('../web/', import.meta.url);
const FILES = ['luahome_bg.wasm', 'luahome_wasm.js', 'luahome.js', 'luahome-worker.js'];
// Fetched only by `Lua.open({ engine: 'piccolo' })`, instead of luahome_bg.wasm.
const ON_DEMAND = 'luahome_piccolo_bg.wasm';
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const measure = (name) => {
  const bytes = readFileSync(new URL(name, web));
  return { name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const rows = FILES.map(measure);
const extra = existsSync(new URL(ON_DEMAND, web)) ? measure(ON_DEMAND) : null;
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip }), { raw: 0, gzip: 0 });
const table = [
  '| file | raw | gzip -9 |',
  '|---|---:|---:|',
  ...rows.map((r) => `| \`${r.name}\` | ${kb(r.raw)} | ${kb(r.gzip)} |`),
  `| total | ${kb(total.raw)} | ${kb(total.gzip)} |`,
  ...(extra ? [`| \`${extra.name}\` (only for \`engine: 'piccolo'\`, instead of \`luahome_bg.wasm\`) `
    + `| ${kb(extra.raw)} | ${kb(extra.gzip)} |`] : []),
].join('\n');

const readme = new URL('README.md', web);
const text = readFileSync(readme, 'utf8');
const START = '<!-- sizes:start (written by scripts/package-sizes.mjs) -->';
const END = '<!-- sizes:end -->';
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a < 0 || b < a) throw new Error('web/README.md lacks the size markers');
const next = `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`;
if (next !== text) writeFileSync(readme, next);
for (const r of extra ? [...rows, extra] : rows) console.error(`web/${r.name}: ${r.raw} bytes raw, ${r.gzip} bytes gzipped`);
