// The first page: a source box, Run/Stop and streaming output over the luahome package.
import { Lua } from 'luahome';

const $ = (id) => document.getElementById(id);
const source = $('source');
const runButton = $('run');
const stopButton = $('stop');
const output = $('output');
const statusLine = $('status');

// Keeps the pane bounded when a script prints without end.
const MAX_OUTPUT_CHARS = 200_000;

function append(text, className) {
  if (className) {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    output.append(span);
  } else {
    output.append(text);
  }
  if (output.textContent.length > MAX_OUTPUT_CHARS) {
    output.textContent = output.textContent.slice(-MAX_OUTPUT_CHARS / 2);
  }
  output.scrollTop = output.scrollHeight;
}

function showValue(v) {
  if (v === null) return 'nil';
  if (typeof v === 'object' && !(v instanceof Uint8Array)) return JSON.stringify(v);
  return String(v);
}

const lua = await Lua.open({ home: 'playground', onWarning: (w) => append(`warning: ${w}\n`, 'error') });
lua.onOutput = (text) => append(text);

// The `_home` inspector: the tree from lua.homeSnapshot().
function nodeText(node) {
  if (node === null) return 'nil';
  if (typeof node !== 'object') return JSON.stringify(node);
  if (node.type === 'function') return node.native ? `function ${node.native}` : `function (${node.chunk}:${node.line})`;
  return node.ref ? `table #${node.id} (shown above)` : `table #${node.id}`;
}

function renderTree(list, node) {
  for (const { key, value } of node.entries ?? []) {
    const item = document.createElement('li');
    item.textContent = `${JSON.stringify(key)} = ${nodeText(value)}`;
    if (value && value.type === 'function') item.className = 'fn';
    if (value && value.type === 'table' && !value.ref) {
      const sub = document.createElement('ul');
      renderTree(sub, value);
      item.append(sub);
    }
    list.append(item);
  }
}

function showHome() {
  const tree = $('home-tree');
  tree.textContent = '';
  renderTree(tree, lua.homeSnapshot());
  if (!tree.children.length) tree.textContent = '(empty)';
  const { backend, name } = lua.home;
  $('home-backend').textContent = backend === 'indexeddb' ? `saved in IndexedDB (${name})` : 'in memory only';
}
showHome();

$('export').addEventListener('click', async () => {
  const bytes = await lua.exportHome();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/cbor' }));
  link.download = 'home.cbor';
  link.click();
  URL.revokeObjectURL(link.href);
});
$('import').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    await lua.importHome(new Uint8Array(await file.arrayBuffer()));
    append('_home imported\n');
  } catch (err) {
    append(`import refused: ${err.message}\n`, 'error');
  }
  e.target.value = '';
  showHome();
});
lua.onStatus = ({ state, slices, elapsedMs }) => {
  statusLine.textContent = `${state} · ${slices} slices · ${Math.round(elapsedMs)} ms`;
};
statusLine.textContent = 'ready';

async function run() {
  if (lua.running) return;
  runButton.disabled = true;
  stopButton.disabled = false;
  try {
    const values = await lua.run(source.value, { chunkName: 'input' });
    if (values.length) append(`=> ${values.map(showValue).join('\t')}\n`);
  } catch (e) {
    append(`${e.message}\n`, 'error');
  } finally {
    runButton.disabled = false;
    stopButton.disabled = true;
    showHome();
  }
}

runButton.addEventListener('click', run);
stopButton.addEventListener('click', () => lua.stop());
$('clear').addEventListener('click', () => { output.textContent = ''; });
source.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
