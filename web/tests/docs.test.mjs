// The package README's API reference is written by hand: this checks it
// against luahome.d.ts (every export, every option, every member of Lua and
// LuaError, every load failure code), and that the build wrote the size table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const WEB = new URL('../', import.meta.url);
const dts = readFileSync(new URL('luahome.d.ts', WEB), 'utf8');
const readme = readFileSync(new URL('README.md', WEB), 'utf8');
const api = readme.slice(readme.indexOf('## API reference'), readme.indexOf('\n## `_home`'));

// The body of `export <interface|class> Name ... { ... }` (no nested braces at depth 1 needed).
function body(kind, name) {
  const start = dts.search(new RegExp(`export ${kind} ${name}\\b`));
  assert.ok(start >= 0, `${kind} ${name} in luahome.d.ts`);
  const open = dts.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < dts.length; i += 1) {
    if (dts[i] === '{') depth += 1;
    if (dts[i] === '}' && --depth === 0) return dts.slice(open + 1, i);
  }
  throw new Error(`unbalanced ${name}`);
}

// Member names declared at the top level of a body.
function members(text) {
  const names = new Set();
  let depth = 0;
  for (const line of text.split('\n')) {
    const m = depth === 0 && line.match(/^\s*(?:static\s+|readonly\s+)*([A-Za-z_$][\w$]*)\??\s*[(:]/);
    if (m) names.add(m[1]);
    for (const c of line) {
      if (c === '{' || c === '(') depth += 1;
      if (c === '}' || c === ')') depth -= 1;
    }
  }
  return [...names];
}

const documented = (name) => new RegExp('`[^`]*\\b' + name.replace('$', '\\$') + '\\b[^`]*`').test(api);

test('every export of luahome.d.ts is named in the API reference', () => {
  const exported = [...dts.matchAll(/^export (?:class|interface|type) (\w+)/gm)].map((m) => m[1]);
  assert.ok(exported.length >= 9, exported.join());
  for (const name of exported) assert.ok(documented(name), `README API reference names ${name}`);
});

test('every option, member and field is documented', () => {
  const groups = {
    OpenOptions: members(body('interface', 'OpenOptions')),
    RunOptions: members(body('interface', 'RunOptions')),
    RunStatus: members(body('interface', 'RunStatus')),
    HomeInfo: members(body('interface', 'HomeInfo')),
    Lua: members(body('class', 'Lua')),
    LuaError: members(body('class', 'LuaError')),
  };
  assert.ok(groups.OpenOptions.includes('wasmUrl') && groups.Lua.includes('run'), JSON.stringify(groups));
  for (const [group, names] of Object.entries(groups)) {
    for (const name of names) assert.ok(documented(name), `README API reference documents ${group}.${name}`);
  }
});

test('every load failure code and error kind is documented', () => {
  const union = (name) => {
    const m = dts.match(new RegExp(`export type ${name} =([^;]+);`));
    return [...m[1].matchAll(/'([\w-]+)'/g)].map((x) => x[1]);
  };
  const codes = union('LoadFailure');
  assert.ok(codes.length >= 8);
  for (const code of codes) assert.match(readme, new RegExp(`\\| \`${code}\` \\|`), `load failure ${code}`);
  for (const kind of union('LuaErrorKind')) assert.ok(documented(kind), `error kind ${kind}`);
});

test('the size table was written by the build', () => {
  const table = readme.match(/<!-- sizes:start[^>]*-->\n([\s\S]*?)<!-- sizes:end -->/)[1];
  assert.match(table, /\| `luahome_bg\.wasm` \| [\d.]+ KB \| [\d.]+ KB \|/);
  assert.match(table, /\| total \|/);
});
