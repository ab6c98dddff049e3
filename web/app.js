// The first page: a source box, Run/Stop and streaming output over luahome.js.
import { Lua } from './luahome.js';

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

const lua = await Lua.open();
lua.onOutput = (text) => append(text);
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
