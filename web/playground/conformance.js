// The conformance page: runs a Lua test-suite folder picked by the user, one
// file at a time, each in a fresh `Lua.open()`, and produces the same JSON as
// `luahome-conformance run --json` (see conformance/README.md).
import { Lua } from 'luahome';

const ENGINE = 'luahome';
// The engine name known failures are listed under (`engine = "luahome"`):
// the page runs `Lua.open()`'s default core.
const ENGINE_NAME = 'luahome';
const $ = (id) => document.getElementById(id);

// Globals for a portable "user tests" run of the official suite (all.lua).
// `assert` is the runtime's counting one (`countAsserts`): a library
// function like PUC Lua's, so hooks do not see Lua lines inside it.
const PRELUDE = `
_port = true
_soft = true
_nomsg = true
_U = true
`;

// The suite's helper modules (`require "tracegc"`, `"bwcoercion"`): from the
// picked folder, as the native runner gives them (`lua` finds them via ./?.lua).
const HELPER_MODULES = ['tracegc', 'bwcoercion'];

let files = [];        // File objects of the chosen folder, sorted by name
let config = { name: null, version: null, skip: new Map(), known: new Map() };
let results = [];
let current = null;    // the running Lua state
let stopRequested = false;

// Reads the subset of the runner's TOML config the page needs:
// [suite] name/version and [[skip]] / [[native]] / [[known_failure]] file +
// reason. [[native]] files need the native host's real file system, which the
// browser has not: the page skips them with their reason.
function parseConfig(text) {
  const out = { name: null, version: null, skip: new Map(), known: new Map() };
  let section = null;
  let entry = null;
  const flush = () => {
    // Known failures of another engine do not apply to this run.
    const otherEngine = entry && entry.engine && entry.engine !== ENGINE_NAME;
    const skipped = section === 'skip' || section === 'native';
    if (entry && entry.file && !otherEngine) (skipped ? out.skip : out.known).set(entry.file, entry.reason ?? '');
    entry = null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const table = line.match(/^\[\[?\s*([\w.]+)\s*\]\]?$/);
    if (table) {
      flush();
      section = table[1];
      if (section === 'skip' || section === 'native' || section === 'known_failure') entry = {};
      continue;
    }
    const kv = line.match(/^(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"/);
    if (!kv) continue;
    const value = JSON.parse(`"${kv[2]}"`);
    if (section === 'suite' && (kv[1] === 'name' || kv[1] === 'version')) out[kv[1]] = value;
    if (entry && (kv[1] === 'file' || kv[1] === 'reason' || kv[1] === 'engine')) entry[kv[1]] = value;
  }
  flush();
  return out;
}

function totals() {
  const t = { files: 0, pass: 0, fail: 0, timeout: 0, panic: 0, skip: 0, asserts: 0 };
  for (const r of results) {
    if (!r || r.status === 'running') continue;
    t.files += 1;
    t[r.status] += 1;
    t.asserts += r.asserts;
  }
  return t;
}

function showTotals(prefix = '') {
  const t = totals();
  const known = results.filter((r) => r && config.known.has(r.name));
  const unexpected = results.filter((r) => r && ['fail', 'timeout', 'panic'].includes(r.status) && !config.known.has(r.name));
  const stale = known.filter((r) => r.status === 'pass');
  $('totals').textContent = `${prefix}${t.files}/${files.length} files: ${t.pass} pass, ${t.fail} fail, ` +
    `${t.timeout} timeout, ${t.panic} panic, ${t.skip} skip, ${t.asserts} asserts` +
    (config.known.size ? ` — ${unexpected.length} unexpected failures, ${stale.length} known failures now passing` : '');
}

function row(r) {
  let tr = document.querySelector(`tr[data-file="${CSS.escape(r.name)}"]`);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.file = r.name;
    $('results').append(tr);
  }
  const known = config.known.has(r.name);
  tr.replaceChildren(...[
    r.name,
    r.status + (known ? ' (known)' : ''),
    String(r.asserts),
    String(r.ms),
    (r.line != null && !(r.error ?? '').includes(`:${r.line}:`) ? `(line ${r.line}) ` : '') + (r.error ?? ''),
  ].map((text, i) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (i === 1) td.className = `status-${r.status}${known ? ' known' : ''}`;
    if (i === 2 || i === 3) td.className = 'num';
    return td;
  }));
}

function readAsserts(lua) {
  try {
    return lua.assertsPassed;
  } catch {
    return 0;   // the state is unusable (e.g. after an internal error)
  }
}

async function runFile(file, fuelLimit, seconds) {
  const name = file.name;
  if (config.skip.has(name)) {
    return { name, status: 'skip', asserts: 0, error: config.skip.get(name), line: null, ms: 0 };
  }
  let source = await file.text();
  if (source.startsWith('#')) source = source.replace(/^[^\n]*/, '');   // like `lua file.lua`
  const started = performance.now();
  const lua = await Lua.open({ fuelLimit, countAsserts: true });
  current = lua;
  lua.onOutput = () => {};
  for (const helper of HELPER_MODULES) {
    const f = files.find((x) => x.name === `${helper}.lua`);
    if (f) lua.addModule(helper, await f.text());
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; lua.stop(); }, seconds * 1000);
  let status = 'pass';
  let error = null;
  let line = null;
  try {
    await lua.run(PRELUDE, { chunkName: 'prelude' });
    await lua.run(source, { chunkName: name });
  } catch (e) {
    error = e.message ?? String(e);
    line = e.line ?? null;
    if (e.kind === 'fuel' || (e.kind === 'stopped' && timedOut)) status = 'timeout';
    else if (e.kind === 'internal') status = 'panic';
    else status = 'fail';
    if (e.kind === 'stopped' && !timedOut) error = 'stopped by the user';
  } finally {
    clearTimeout(timer);
  }
  const asserts = readAsserts(lua);
  const ms = Math.round(performance.now() - started);
  try { await lua.close(); } catch { /* already unusable */ }
  current = null;
  return { name, status, asserts, error, line, ms };
}

async function runAll() {
  const fuel = Number($('fuel').value) || 500_000_000;
  const seconds = Number($('seconds').value) || 120;
  stopRequested = false;
  results = files.map(() => null);
  $('results').replaceChildren();
  $('start').disabled = true;
  $('stop').disabled = false;
  $('download').disabled = true;
  for (let i = 0; i < files.length && !stopRequested; i++) {
    row({ name: files[i].name, status: 'running', asserts: 0, ms: 0, error: '' });
    showTotals(`running ${files[i].name} — `);
    results[i] = await runFile(files[i], fuel, seconds);
    row(results[i]);
    showTotals();
  }
  results = results.filter(Boolean);
  showTotals(stopRequested ? 'stopped — ' : 'done — ');
  $('start').disabled = false;
  $('stop').disabled = true;
  $('download').disabled = results.length === 0;
}

function report() {
  const folder = files[0]?.webkitRelativePath?.split('/')[0] || 'suite';
  return {
    suite: { name: config.name ?? folder, version: config.version ?? 'unknown' },
    engine: ENGINE,
    date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    files: [...results].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    totals: totals(),
  };
}

$('suite').addEventListener('change', (e) => {
  // Only files directly in the chosen folder, like the native runner.
  files = [...e.target.files]
    .filter((f) => f.name.endsWith('.lua') && f.name !== 'all.lua')
    .filter((f) => (f.webkitRelativePath || f.name).split('/').length <= 2)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  $('start').disabled = files.length === 0;
  $('totals').textContent = `${files.length} files ready.`;
});
$('config').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  config = f ? parseConfig(await f.text()) : { name: null, version: null, skip: new Map(), known: new Map() };
  $('totals').textContent = `config: ${config.skip.size} skipped, ${config.known.size} known failures.`;
});
$('start').addEventListener('click', runAll);
$('stop').addEventListener('click', () => {
  stopRequested = true;
  current?.stop();
});
$('download').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify(report(), null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `conformance-${report().suite.name}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
