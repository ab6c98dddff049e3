// The playground: a CodeMirror editor, run controls, a streaming console and
// a live `_home` inspector, all over the public API of the `luahome` package.
import { Lua } from 'luahome';
import { EditorView, basicSetup } from 'codemirror';
import { keymap, Decoration } from '@codemirror/view';
import { EditorState, StateEffect, StateField, Prec } from '@codemirror/state';
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { lua as luaMode } from '@codemirror/legacy-modes/mode/lua';
import { EXAMPLES } from './examples.js';

const $ = (id) => document.getElementById(id);
const HOME = 'playground';
const SOURCE_KEY = 'luahome-playground:source';
const MODE_KEY = 'luahome-playground:mode';
const ENGINE_KEY = 'luahome-playground:engine';

// ----- Editor -----------------------------------------------------------------

// Colours from the page's CSS variables, so the editor follows the light/dark theme.
const luaHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--syn-keyword)' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--syn-string)' },
  { tag: tags.number, color: 'var(--syn-number)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--syn-comment)', fontStyle: 'italic' },
  { tag: [tags.standard(tags.variableName), tags.atom, tags.bool, tags.null], color: 'var(--syn-builtin)' },
  { tag: tags.operator, color: 'var(--syn-operator)' },
]);

const setErrorLine = StateEffect.define();
const errorLineField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setErrorLine)) {
        deco = e.value == null ? Decoration.none
          : Decoration.set([Decoration.line({ class: 'cm-error-line', attributes: { title: 'the error is here' } })
            .range(e.value)]);
      }
    }
    return tr.docChanged ? Decoration.none : deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function fragmentSource() {
  const m = location.hash.match(/^#code=([\w-]*)$/);
  if (!m) return null;
  try {
    const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}

function encodeFragment(text) {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return `#code=${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

let saveTimer = null;
const editor = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: fragmentSource() ?? localStorage.getItem(SOURCE_KEY) ?? EXAMPLES[0].source,
    extensions: [
      Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => { run(); return true; } }])),
      basicSetup,
      StreamLanguage.define(luaMode),
      syntaxHighlighting(luaHighlight),
      errorLineField,
      EditorView.contentAttributes.of({ 'aria-label': 'Lua source', 'data-testid': 'source' }),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        // An edited shared script is the visitor's own now: a reload shows the edit.
        if (location.hash.startsWith('#code=')) history.replaceState(null, '', location.pathname + location.search);
        clearTimeout(saveTimer);
        saveTimer = setTimeout(() => localStorage.setItem(SOURCE_KEY, source()), 300);
      }),
    ],
  }),
});
const source = () => editor.state.doc.toString();
function setSource(text) {
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
  localStorage.setItem(SOURCE_KEY, text);
}
function markErrorLine(line) {
  const valid = line && line >= 1 && line <= editor.state.doc.lines;
  const pos = valid ? editor.state.doc.line(line).from : null;
  editor.dispatch({ effects: setErrorLine.of(pos), ...(valid ? { selection: { anchor: pos } } : {}) });
  if (valid) editor.dispatch({ effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
}

const examples = $('examples');
examples.append(new Option('Choose an example…', ''));
for (const ex of EXAMPLES) examples.append(new Option(ex.title, ex.id));
examples.addEventListener('change', () => {
  const ex = EXAMPLES.find((e) => e.id === examples.value);
  if (ex) setSource(ex.source);
  examples.value = '';
  editor.focus();
});

$('share').addEventListener('click', async () => {
  const url = new URL(encodeFragment(source()), location.href).href;
  history.replaceState(null, '', url);
  try {
    await navigator.clipboard.writeText(url);
    showStatus('idle', 'link copied to the clipboard');
  } catch {
    showStatus('idle', 'the link in the address bar holds this script');
  }
});

// ----- Output console ---------------------------------------------------------
//
// Output is buffered and written once per animation frame; the console keeps
// the last MAX_LINES lines (older ones are dropped and counted), so a script
// printing a million lines never slows the page down.

const output = $('output');
const MAX_LINES = 5000;
let pending = '';
let flushScheduled = false;
let shownLines = 0;
let droppedLines = 0;
const lineCounts = new WeakMap();

const countLines = (text) => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
};

function appendNode(node, lines) {
  const stick = output.scrollHeight - output.scrollTop - output.clientHeight < 24;
  lineCounts.set(node, lines);
  output.append(node);
  shownLines += lines;
  while (shownLines > MAX_LINES && output.firstChild && output.firstChild !== node) {
    const first = output.firstChild;
    shownLines -= lineCounts.get(first) ?? 0;
    droppedLines += lineCounts.get(first) ?? 0;
    first.remove();
  }
  $('dropped').textContent = droppedLines ? `${droppedLines.toLocaleString('en')} earlier lines not shown` : '';
  if (stick) output.scrollTop = output.scrollHeight;
}

function flushOutput() {
  flushScheduled = false;
  if (!pending) return;
  let text = pending;
  pending = '';
  let lines = countLines(text);
  if (lines > MAX_LINES) {
    // Keep only the tail of a huge burst.
    let cut = text.length;
    for (let i = 0; i < MAX_LINES; i += 1) cut = text.lastIndexOf('\n', cut - 1);
    droppedLines += lines - MAX_LINES;
    text = text.slice(cut + 1);
    lines = MAX_LINES;
  }
  appendNode(document.createTextNode(text), lines);
}

function write(text) {
  pending += text;
  if (!flushScheduled) {
    flushScheduled = true;
    requestAnimationFrame(flushOutput);
  }
}

function writeBlock(className, text, detail) {
  flushOutput();
  const block = document.createElement(detail ? 'details' : 'div');
  block.className = className;
  if (detail) {
    const summary = document.createElement('summary');
    summary.textContent = text;
    const pre = document.createElement('div');
    pre.textContent = detail;
    block.append(summary, pre);
  } else {
    block.textContent = text;
  }
  appendNode(block, 1 + (detail ? countLines(detail) : 0));
}

$('clear').addEventListener('click', () => {
  pending = '';
  output.textContent = '';
  shownLines = 0;
  droppedLines = 0;
  $('dropped').textContent = '';
});

function showValue(v) {
  if (v === null) return 'nil';
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (typeof v === 'object') return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));
  return String(v);
}

// ----- The Lua state ----------------------------------------------------------

let lua = null;
let mode = localStorage.getItem(MODE_KEY) === 'worker' ? 'worker' : 'main';
// The engine: the project's core (the runtime's default) unless piccolo's
// was picked.
let engine = localStorage.getItem(ENGINE_KEY) === 'piccolo' ? 'piccolo' : 'luahome';
const warnings = [];

function onWarning(message) {
  warnings.push(message);
  writeBlock('warning', `warning: ${message}`);
  showHomeState();
}

async function openState() {
  const next = await Lua.open({ home: HOME, worker: mode === 'worker', engine, onWarning });
  next.onOutput = write;
  next.onStatus = onStatus;
  next.register('fetch_text', async (path) => {
    const url = new URL(String(path), location.href);
    if (url.origin !== location.origin) throw new Error('fetch_text only reads files of this site');
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
    return (await response.text()).trimEnd();
  });
  return next;
}

// ----- Controls and status ----------------------------------------------------

const runButton = $('run');
const pauseButton = $('pause');
const stopButton = $('stop');
let running = false;
let lastRefresh = 0;

function showStatus(state, text) {
  const line = $('status');
  line.dataset.state = state;
  line.textContent = text;
}

function onStatus({ state, slices, fuel, elapsedMs }) {
  const secs = (elapsedMs / 1000).toFixed(2);
  showStatus(state, `${state} · ${secs} s · ${slices.toLocaleString('en')} slices · ${fuel.toLocaleString('en')} fuel`);
  // The inspector follows long scripts as they write.
  if (state === 'running' && performance.now() - lastRefresh > 1000) refreshHome();
}

function setRunning(on) {
  running = on;
  runButton.disabled = on;
  pauseButton.disabled = !on;
  stopButton.disabled = !on;
  pauseButton.textContent = 'Pause';
  pauseButton.setAttribute('aria-pressed', 'false');
  for (const input of document.querySelectorAll('input[name=mode], #engine')) input.disabled = on;
  for (const b of document.querySelectorAll('#home-tree button, #clear-home, #import')) b.disabled = on;
}

async function run() {
  if (running || !lua) return;
  markErrorLine(null);
  setRunning(true);
  const started = performance.now();
  try {
    const values = await lua.run(source(), { chunkName: 'input' });
    flushOutput();
    if (values.length) writeBlock('result', `=> ${values.map(showValue).join('\t')}`);
    showStatus('finished', `finished in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } catch (e) {
    flushOutput();
    writeBlock('error', e.message, e.traceback || null);
    if (e.line && (e.chunk === 'input' || e.chunk == null)) markErrorLine(e.line);
    showStatus(e.kind === 'stopped' ? 'stopped' : 'error', e.kind === 'stopped' ? 'stopped' : `error (${e.kind})`);
  } finally {
    setRunning(false);
    await refreshHome();
  }
}

runButton.addEventListener('click', run);
stopButton.addEventListener('click', () => lua?.stop());
pauseButton.addEventListener('click', () => {
  if (!running) return;
  if (lua.paused) {
    lua.resume();
    pauseButton.textContent = 'Pause';
    pauseButton.setAttribute('aria-pressed', 'false');
  } else {
    lua.pause();
    pauseButton.textContent = 'Resume';
    pauseButton.setAttribute('aria-pressed', 'true');
    showStatus('paused', 'paused');
  }
});

// Reopens the state after a change of mode or engine (the same _home).
async function reopen() {
  showStatus('loading', 'switching…');
  runButton.disabled = true;
  await lua?.close();
  lua = await openState();
  runButton.disabled = false;
  showStatus('ready', `ready (${mode === 'worker' ? 'in a worker' : 'on the main thread'}, ${engine} engine)`);
  await refreshHome();
}

for (const input of document.querySelectorAll('input[name=mode]')) {
  input.checked = input.value === mode;
  input.addEventListener('change', async () => {
    if (!input.checked || running) return;
    mode = input.value;
    localStorage.setItem(MODE_KEY, mode);
    await reopen();
  });
}
const engineSelect = $('engine');
engineSelect.value = engine;
engineSelect.addEventListener('change', async () => {
  if (running) {
    engineSelect.value = engine;
    return;
  }
  engine = engineSelect.value;
  localStorage.setItem(ENGINE_KEY, engine);
  await reopen();
});

// ----- The _home inspector ----------------------------------------------------

const tree = $('home-tree');
const openTables = new Set();   // ids of expanded tables, kept across refreshes

// A Lua literal for a key or scalar (strings as byte escapes: no Lua parsing in JS).
function luaLiteral(v) {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return '(0/0)';
    if (!Number.isFinite(v)) return v > 0 ? 'math.huge' : '-math.huge';
    return String(v);
  }
  let out = '"';
  for (const b of new TextEncoder().encode(String(v))) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function pathExpr(path) {
  return `_home${path.map((k) => `[${luaLiteral(k)}]`).join('')}`;
}

// Runs a small chunk of the inspector's own (edits, deletes, clear).
async function inspectorRun(code) {
  if (running) return;
  setRunning(true);
  try {
    await lua.run(code, { chunkName: '=inspector' });
  } catch (e) {
    writeBlock('error', `inspector: ${e.message}`);
  } finally {
    setRunning(false);
    await refreshHome();
  }
}

function scalarText(v) {
  if (v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function button(label, title, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.title = title;
  b.setAttribute('aria-label', title);
  b.disabled = running;
  b.addEventListener('click', onClick);
  return b;
}

function editScalar(row, path, value) {
  const input = document.createElement('input');
  input.value = typeof value === 'string' ? value : String(value);
  input.setAttribute('aria-label', `new value for ${pathExpr(path)}`);
  input.dataset.testid = 'edit-input';
  const kind = typeof value;
  const commit = async () => {
    let literal;
    if (kind === 'number') {
      const n = Number(input.value);
      if (input.value.trim() === '' || Number.isNaN(n)) {
        input.setCustomValidity('a number');
        input.reportValidity();
        return;
      }
      literal = luaLiteral(n);
    } else if (kind === 'boolean') {
      literal = input.value.trim() === 'true' ? 'true' : 'false';
    } else {
      literal = luaLiteral(input.value);
    }
    await inspectorRun(`${pathExpr(path)} = ${literal}`);
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') commit();
    if (e.key === 'Escape') refreshHome();
  });
  row.querySelector('.value').replaceWith(input);
  input.focus();
  input.select();
}

function renderEntries(list, node, path) {
  for (const { key, value } of node.entries ?? []) {
    const item = document.createElement('li');
    const row = document.createElement('div');
    row.className = 'row';
    const keyEl = document.createElement('span');
    keyEl.className = 'key';
    keyEl.textContent = typeof key === 'string' && /^[A-Za-z_]\w*$/.test(key) ? key : `[${scalarText(key)}]`;
    const valueEl = document.createElement('span');
    valueEl.className = 'value';
    const here = [...path, key];
    row.append(keyEl, document.createTextNode(' = '), valueEl);
    if (value && typeof value === 'object' && value.type === 'table' && !value.ref) {
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      valueEl.textContent = `table #${value.id} (${value.entries?.length ?? 0} entries)`;
      summary.append(row);
      details.append(summary);
      let filled = false;
      const fill = () => {
        if (filled) return;
        filled = true;
        const sub = document.createElement('ul');
        renderEntries(sub, value, here);
        details.append(sub);
      };
      details.addEventListener('toggle', () => {
        if (details.open) { openTables.add(value.id); fill(); } else openTables.delete(value.id);
      });
      if (openTables.has(value.id)) { details.open = true; fill(); }
      item.append(details);
    } else {
      if (value && typeof value === 'object' && value.type === 'table') {
        valueEl.textContent = `→ table #${value.id} (shown elsewhere)`;
        valueEl.classList.add('ref');
      } else if (value && typeof value === 'object' && value.type === 'function') {
        valueEl.textContent = value.native ? `function ${value.native}` : `function (${value.chunk}:${value.line})`;
        valueEl.classList.add('fn');
      } else {
        valueEl.textContent = scalarText(value);
        if (value !== null) row.append(button('edit', `edit ${pathExpr(here)}`, () => editScalar(row, here, value)));
      }
      item.append(row);
    }
    row.append(button('delete', `delete ${pathExpr(here)}`, () => inspectorRun(`${pathExpr(here)} = nil`)));
    list.append(item);
  }
}

function showHomeState() {
  if (!lua) return;
  const info = lua.home;
  $('home-backend').textContent = info.backend === 'indexeddb'
    ? `saved in this browser (IndexedDB “${info.name}”)` : 'in memory only: lost on reload';
  const parts = [];
  if (info.lastSaveAt) parts.push(`last saved ${new Date(info.lastSaveAt).toLocaleTimeString()} (${info.lastSaveMs?.toFixed(1)} ms)`);
  parts.push(info.pending ? 'changes waiting to be saved' : 'nothing pending');
  if (warnings.length) parts.push(`${warnings.length} storage warning${warnings.length > 1 ? 's' : ''} (see the output)`);
  $('home-state').textContent = parts.join(' · ');
}

async function refreshHome() {
  if (!lua) return;
  lastRefresh = performance.now();
  const snapshot = await lua.homeSnapshot();
  const list = document.createElement('ul');
  renderEntries(list, snapshot, []);
  tree.replaceChildren(list.children.length ? list : Object.assign(document.createElement('p'), {
    className: 'muted', textContent: '_home is empty: run an example that stores something.' }));
  showHomeState();
}

$('refresh').addEventListener('click', refreshHome);
$('export').addEventListener('click', async () => {
  const bytes = await lua.exportHome();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/cbor' }));
  link.download = `home-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.cbor`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});
$('import').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file || running) return;
  try {
    await lua.importHome(new Uint8Array(await file.arrayBuffer()));
    writeBlock('result', `_home imported from ${file.name}`);
  } catch (err) {
    writeBlock('error', `import refused, _home unchanged: ${err.message}`);
  }
  await refreshHome();
});
$('clear-home').addEventListener('click', async () => {
  if (running || !confirm('Delete everything in _home? Export it first if you want to keep it.')) return;
  await inspectorRun('local keys = {}\nfor k in pairs(_home) do keys[#keys + 1] = k end\n'
    + 'for _, k in ipairs(keys) do _home[k] = nil end');
  writeBlock('result', '_home cleared');
});

// ----- Start ------------------------------------------------------------------

try {
  lua = await openState();
  setRunning(false);
  showStatus('ready', 'ready');
  await refreshHome();
} catch (e) {
  runButton.disabled = true;
  showStatus('error', `luahome could not start: ${e.message}`);
  writeBlock('error', e.message);
}
