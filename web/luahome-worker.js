// Worker entry for `Lua.open({ worker: true })`: runs a Lua state off the main
// thread and talks to the page's WorkerLua by messages. The run loop yields to
// the worker's event loop between slices, so stop/pause/resume arrive promptly.
import { Lua, errorInfo, toWire, fromWire } from './luahome.js';

let lua = null;
const calls = new Map();
let nextCall = 0;
// Lua functions the page holds, by the id they crossed as.
const functions = new Map();
let nextFunction = 0;
const keep = (fn) => {
  functions.set(++nextFunction, fn);
  return nextFunction;
};
const revive = (id) => {
  const fn = functions.get(id);
  if (!fn) throw new TypeError('this Lua function was released and can no longer be used');
  return fn;
};

const post = (m) => self.postMessage(m);
const reply = (id, ok, value) => post(ok ? { type: 'reply', id, ok, value } : { type: 'reply', id, ok, error: value });

self.onmessage = async (e) => {
  const m = e.data;
  try {
    switch (m.type) {
      case 'open':
        lua = await Lua.open({ ...m.options, worker: false,
          onWarning: (message) => post({ type: 'warning', message }) });
        lua.onOutput = (text) => post({ type: 'output', text });
        lua.onStatus = (status) => post({ type: 'status', status, home: lua.home });
        reply(m.id, true, lua.home);
        break;
      case 'save':
        await lua?.save();
        if (m.id) reply(m.id, true, null);
        break;
      case 'compactHome':
        await lua.compactHome();
        reply(m.id, true, null);
        break;
      case 'exportHome':
        reply(m.id, true, await lua.exportHome());
        break;
      case 'importHome':
        await lua.importHome(m.bytes);
        reply(m.id, true, null);
        break;
      case 'homeSnapshot':
        reply(m.id, true, lua.homeSnapshot());
        break;
      case 'setMemoryAliasEnabled':
        lua.setMemoryAliasEnabled(m.enabled);
        reply(m.id, true, null);
        break;
      case 'close':
        await lua?.close();
        reply(m.id, true, null);
        break;
      case 'register':
        lua.register(m.name, (...args) => new Promise((resolve, reject) => {
          const callId = ++nextCall;
          calls.set(callId, { resolve, reject });
          post({ type: 'call', callId, name: m.name, args: toWire(args, keep) });
        }));
        break;
      case 'callResult': {
        const c = calls.get(m.callId);
        calls.delete(m.callId);
        if (c) (m.ok ? c.resolve(fromWire(m.value, null, revive)) : c.reject(new Error(m.error)));
        break;
      }
      case 'run':
        lua.run(m.source, m.options).then(
          (values) => { post({ type: 'home', home: lua.home }); reply(m.id, true, toWire(values, keep)); },
          (err) => { post({ type: 'home', home: lua.home }); reply(m.id, false, errorInfo(err)); },
        );
        break;
      case 'get':
        reply(m.id, true, toWire(lua.get(m.path), keep));
        break;
      case 'set':
        lua.set(m.path, fromWire(m.value, null, revive));
        reply(m.id, true, null);
        break;
      case 'callFunction':
        revive(m.fn).callMulti(...fromWire(m.args, null, revive)).then(
          (values) => reply(m.id, true, toWire(values, keep)),
          (err) => reply(m.id, false, errorInfo(err)),
        );
        break;
      case 'releaseFunction':
        functions.get(m.fn)?.release();
        functions.delete(m.fn);
        break;
      case 'addModule':
        lua.addModule(m.name, m.source);
        break;
      case 'addModuleLoader':
        lua.addModule(m.name, (name) => new Promise((resolve, reject) => {
          const callId = ++nextCall;
          calls.set(callId, { resolve, reject });
          post({ type: 'call', callId, module: name });
        }));
        break;
      case 'mountFile':
        lua.mountFile(m.path, m.contents);
        reply(m.id, true, null);
        break;
      case 'readFile':
        reply(m.id, true, lua.readFile(m.path));
        break;
      case 'unmountFile':
        reply(m.id, true, lua.unmountFile(m.path));
        break;
      case 'interopStats':
        reply(m.id, true, lua.interopStats());
        break;
      case 'stop':
        lua?.stop();
        break;
      case 'pause':
        lua?.pause();
        break;
      case 'resume':
        lua?.resume();
        break;
    }
  } catch (err) {
    if (m.id) reply(m.id, false, err instanceof TypeError ? { typeError: true, message: err.message } : errorInfo(err));
    else console.error('luahome worker:', err);
  }
};
