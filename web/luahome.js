// luahome: Lua 5.4 in the browser. The one JS API every page uses.
//
//   import { Lua, LuaError } from './luahome.js';
//   const lua = await Lua.open();
//   lua.onOutput = (text) => console.log(text);
//   const [sum] = await lua.run('return 1 + 2', { chunkName: 'demo' });
//
// `run` executes the chunk in slices of a few milliseconds and yields to the
// event loop between them, so the page stays responsive; `stop()`, `pause()`
// and `resume()` act between slices.

// The wasm-bindgen glue, wrapped by the build into a factory so that a
// trapped instance can be replaced by a fresh one (scripts/lib.sh, build_web).

// Slice status codes from the wasm edge (`SliceStatus`).
const IDLE = 0;
const RUNNING = 1;
const FINISHED = 2;
const ERROR = 3;
const WAITING = 4;

/** An error raised by Lua or by the runtime around it. */
export class LuaError extends Error {
  /**
   * @param {{kind: string, message: string, chunk?: string|null, line?: number|null,
   *   traceback?: string|null, code?: string|null}} info
   */
  constructor(info) {
    super(info.message);
    this.name = 'LuaError';
    /** 'syntax' | 'runtime' | 'stopped' | 'fuel' | 'memory' | 'internal' | 'busy' | 'load' */
    this.kind = info.kind;
    this.chunk = info.chunk ?? null;
    this.line = info.line ?? null;
    this.traceback = info.traceback ?? null;
    /** For kind 'load': which part of loading failed (see LoadFailure in luahome.d.ts). */
    this.code = info.code ?? null;
  }
}

// ----- Loading the wasm ------------------------------------------------------
//
// Where the files are: next to this module by default (`new URL(..., import.meta.url)`,
// which Vite's build rewrites to its asset URL); `wasmUrl`, `workerUrl` or
// `wasmModule` override that. Nothing is fetched from anywhere else.

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string'
  && typeof window === 'undefined';

function loadError(code, message) {
  return new LuaError({ kind: 'load', code, message });
}

// The base for relative URLs given as options: the page (or worker) location.
function baseHref() {
  return globalThis.location?.href ?? import.meta.url;
}

// The default module has the project's core and piccolo's VM (for closures
// that core stored); piccolo's compiler, for `engine: 'piccolo'`, is in a
// second module fetched only for that engine. Literal URLs, so that bundlers
// (Vite) find both files.
function defaultWasmUrl(engine) {
  // A bundle in a non-module format has no import.meta.url: fall back to the page.
  try {
    return engine === 'piccolo'
      ? new URL('./luahome_piccolo_bg.wasm', import.meta.url)
      : new URL('./luahome_bg.wasm', import.meta.url);
  } catch {
    return new URL(`./${wasmFile(engine)}`, baseHref());
  }
}

const wasmFile = (engine) => (engine === 'piccolo' ? 'luahome_piccolo_bg.wasm' : 'luahome_bg.wasm');

function toUrl(value, what) {
  try {
    return new URL(value instanceof URL ? value.href : String(value), baseHref());
  } catch {
    throw loadError('bad-option', `${what} ${JSON.stringify(String(value))} is not a valid URL`);
  }
}

const FIX_CSP = "add 'wasm-unsafe-eval' to the script-src directive of the page's "
  + "Content-Security-Policy (for example: script-src 'self' 'wasm-unsafe-eval')";

// Turns a failed WebAssembly.compile into a named load failure.
function compileFailure(e, where) {
  const message = errorMessage(e);
  if (/unsafe-eval|content security policy|disallowed by embedder|\bCSP\b/i.test(message)) {
    return loadError('csp', `WebAssembly compilation is blocked by this page's Content-Security-Policy: ${FIX_CSP} (${message})`);
  }
  return loadError('wasm-invalid', `${where} is not a WebAssembly module this browser can compile (${message}): `
    + 'check that the file is the one from the luahome package (not damaged or replaced by a server error page); '
    + 'luahome needs WebAssembly with reference types and bulk memory (Chrome/Edge 96+, Firefox 100+, Safari 15.2+, Node 20+)');
}

async function readNodeFile(url) {
  const fs = globalThis.process?.getBuiltinModule?.('node:fs/promises')
    ?? await import(/* @vite-ignore */ ['node', 'fs/promises'].join(':'));
  try {
    return await fs.readFile(url);
  } catch (e) {
    throw loadError(e?.code === 'ENOENT' ? 'wasm-not-found' : 'wasm-network',
      `cannot read ${url.href} (${errorMessage(e)}); pass { wasmUrl } or { wasmModule } to Lua.open`);
  }
}

// Compiles the wasm module: fetch + streaming compilation where the server
// sends application/wasm, else (with a warning) bytes + WebAssembly.compile.
async function compileWasm(url, file, warn) {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') {
    throw loadError('unsupported', 'this browser has no WebAssembly (or it is switched off, as in some '
      + 'hardened or "lockdown" modes); luahome needs it to run Lua');
  }
  if (url.protocol === 'file:') {
    if (isNode) {
      const bytes = await readNodeFile(url);
      try {
        return await WebAssembly.compile(bytes);
      } catch (e) {
        throw compileFailure(e, url.href);
      }
    }
    throw loadError('file-url', `cannot load ${url.href}: browsers do not let pages fetch file:// URLs, so `
      + 'luahome cannot load its WebAssembly from a page opened as a file. Serve the folder over HTTP '
      + '(for example `python3 -m http.server` or `npx serve`) and open http://localhost/..., or pass '
      + '{ wasmModule } to Lua.open');
  }
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (e) {
    throw loadError('wasm-network', `could not fetch ${url.href} (${errorMessage(e)}): check that the file is `
      + "served from this origin and allowed by the page's Content-Security-Policy (connect-src), or pass "
      + '{ wasmUrl } to Lua.open');
  }
  if (!response.ok) {
    const notFound = response.status === 404 || response.status === 410;
    throw loadError(notFound ? 'wasm-not-found' : 'wasm-network', `${url.href} answered HTTP ${response.status}`
      + (notFound ? `: the WebAssembly file is missing there. Deploy ${file} next to luahome.js `
        + '(a bundler that does not copy it, like esbuild, needs it copied), or pass { wasmUrl } to Lua.open'
        : '; pass { wasmUrl } to Lua.open if the file lives elsewhere'));
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response);
    } catch (e) {
      throw compileFailure(e, url.href);
    }
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const magic = bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic) {
    const html = /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
    throw loadError(html ? 'wasm-not-found' : 'wasm-invalid', `${url.href} is not a WebAssembly file`
      + (html ? ' (the server answered with an HTML page, as single-page-app fallbacks do for missing files): '
        + `deploy ${file} next to luahome.js, or pass { wasmUrl } to Lua.open`
        : ` (served as '${type || 'no type'}'); pass { wasmUrl } pointing at ${file}`));
  }
  if (!isNode) {
    warn(`${url.href} was served as '${type || 'no type'}' instead of 'application/wasm', so it was compiled `
      + 'without streaming (slower start); configure the server to send .wasm files as application/wasm');
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw compileFailure(e, url.href);
  }
}

// Compiled modules by URL, with the warnings their loading raised (replayed
// to every state that uses them).
const compiled = new Map();

function compiledModule(options, warn) {
  if (options.wasmModule !== undefined) {
    if (typeof WebAssembly !== 'object' || !(options.wasmModule instanceof WebAssembly.Module)) {
      return Promise.reject(loadError('bad-option', 'wasmModule must be a WebAssembly.Module (for example from '
        + 'WebAssembly.compileStreaming(fetch(url)))'));
    }
    return Promise.resolve(options.wasmModule);
  }
  const url = options.wasmUrl !== undefined ? toUrl(options.wasmUrl, 'wasmUrl') : defaultWasmUrl(options.engine);
  let entry = compiled.get(url.href);
  if (!entry) {
    const warnings = [];
    entry = { warnings, promise: compileWasm(url, wasmFile(options.engine), (w) => warnings.push(w)) };
    compiled.set(url.href, entry);
    // A failed load is not cached: the next open tries again.
    entry.promise.catch(() => { if (compiled.get(url.href) === entry) compiled.delete(url.href); });
  }
  return entry.promise.then((module) => {
    for (const w of entry.warnings) warn(w);
    return module;
  });
}

// One instance per compiled module is shared by every Lua state on it; a
// trapped instance is unusable, so `fresh` makes a new one from the same module.
const instances = new WeakMap();

// The wasm-bindgen glue, imported at the first open: its fetch overlaps the
// wasm's (a static import would load it before the wasm fetch could start).
let glue;
function importGlue() {
  glue ??= import('./luahome_wasm.js');
  glue.catch(() => { glue = undefined; });
  return glue;
}

async function instantiate(wasmModule, fresh, glueModule = importGlue()) {
  if (!fresh && instances.has(wasmModule)) return instances.get(wasmModule);
  const promise = (async () => {
    let createBindings;
    try {
      ({ createBindings } = await glueModule);
    } catch (e) {
      throw loadError('wasm-network', `could not load luahome_wasm.js, the glue beside luahome.js (${errorMessage(e)}): `
        + 'deploy it with luahome.js and luahome_bg.wasm');
    }
    const bindings = createBindings();
    try {
      await bindings({ module_or_path: wasmModule });
    } catch (e) {
      throw compileFailure(e, 'the luahome WebAssembly module');
    }
    return bindings;
  })();
  if (!fresh) {
    instances.set(wasmModule, promise);
    promise.catch(() => instances.delete(wasmModule));
  }
  return promise;
}

async function loadModule(options, warn, fresh = false) {
  const glueModule = importGlue();
  const wasmModule = await compiledModule(options, warn);
  return { wasmModule, bindings: await instantiate(wasmModule, fresh, glueModule) };
}

// Yields to the event loop without the 4 ms clamp of nested setTimeout.
function yieldToEventLoop() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

const now = () => performance.now();

// Log records after which a flush also folds the log into a new snapshot.
const COMPACT_AFTER_RECORDS = 64;
// How long a run waits for the store before it starts anyway.
const STORE_WAIT_MS = 1000;

// Calls `flush` on `pagehide` and when the page becomes hidden; returns a
// function that removes the listeners (null where there is no page).
function onPageLeave(flush) {
  if (typeof document === 'undefined' || typeof addEventListener !== 'function') return null;
  const hidden = () => { if (document.visibilityState === 'hidden') flush(); };
  addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', hidden);
  return () => {
    removeEventListener('pagehide', flush);
    document.removeEventListener('visibilitychange', hidden);
  };
}

function errorMessage(e) {
  return e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
}

/** A Lua state. Create with `await Lua.open(options)`. */
export class Lua {
  #options;
  #module;
  #wasmModule;
  #rt;
  #running = false;
  #stopRequested = false;
  #paused = false;
  #resumeWaiters = [];
  #fuel;
  #closed = false;
  #functions = new Map();
  #wakeStop = null;
  // Driving Lua from the page (see "Driving Lua from the page" below).
  #runActive = false;
  #tasks = Promise.resolve();
  #generation = 0;
  #modules = new Map();
  #moduleLoaders = new Map();
  #files = new Map();
  #saveSoon = false;
  #closing = false;
  #waitingTask = 0;
  // _home persistence (see "_home in the browser" in README.md).
  #db = null;
  #seq = 0;
  #epoch = 0;
  #logLength = 0;
  #channel = null;
  #ops = Promise.resolve();
  #lastSave = 0;
  #autoSaving = false;
  #lifecycle = null;
  #lastSaveMs = null;
  #lastSaveAt = null;
  #notice = null;

  /** Every warning so far (a home kept in memory only, damaged records, a failed save, ...). */
  warnings = [];
  /** Called with each warning message as it happens. */
  onWarning = null;

  /** Called with each piece of output text (`print`, `io.write`) as it is produced. */
  onOutput = null;
  /** Called with `{state, slices, fuel, elapsedMs}` as a run progresses. */
  onStatus = null;

  constructor(token, module, options) {
    if (token !== Lua.#token) throw new TypeError('use `await Lua.open(options)`');
    this.#module = module;
    this.#options = options;
    this.#fuel = options.initialFuel ?? 20000;
  }

  static #token = Symbol('Lua');

  /**
   * Opens a Lua state.
   * @param {{sliceMs?: number, fuelLimit?: number, memoryLimit?: number, worker?: boolean,
   *   home?: string, persist?: boolean, memoryAlias?: boolean, saveEveryMs?: number,
   *   engine?: 'piccolo' | 'luahome', onWarning?: (message: string) => void, wasmUrl?: string|URL,
   *   wasmModule?: WebAssembly.Module, workerUrl?: string|URL}} [options]
   *   sliceMs: target duration of one slice (default 4 ms);
   *   fuelLimit: default bound on the total work of each run;
   *   memoryLimit: bytes the Lua heap may use;
   *   worker: run the state in a dedicated Web Worker (same API);
   *   home: the name of the persistent `_home` (one IndexedDB database each; default "default");
   *   persist: false keeps `_home` in memory only;
   *   memoryAlias: false leaves the global `Memory` unset;
   *   saveEveryMs: how often a long run writes `_home` (default 300 ms);
   *   engine: the Lua core, 'luahome' (the project's own, default) or 'piccolo' (piccolo 0.3.3's,
   *     whose compiler is in luahome_piccolo_bg.wasm, fetched instead of luahome_bg.wasm);
   *   onWarning: receives warnings, including those raised while opening;
   *   wasmUrl: where luahome_bg.wasm (luahome_piccolo_bg.wasm for engine 'piccolo') is
   *     (default: next to this module);
   *   wasmModule: an already compiled luahome_bg.wasm or luahome_piccolo_bg.wasm (then nothing is fetched);
   *   workerUrl: where luahome-worker.js is, for `worker: true` (default: next to this module).
   * Rejects with a LuaError of kind 'load' (see its `code`) when the wasm cannot be loaded.
   */
  static async open(options = {}) {
    if (options.worker) return WorkerLua.open(options);
    const early = [];
    const { wasmModule, bindings } = await loadModule(options, (w) => early.push(w));
    const lua = new Lua(Lua.#token, bindings, { sliceMs: 4, saveEveryMs: 300, ...options });
    lua.#wasmModule = wasmModule;
    if (options.onWarning) lua.onWarning = options.onWarning;
    for (const w of early) lua.#warn(w);
    for (const [name, source] of Object.entries(options.modules ?? {})) lua.#rememberModule(name, source);
    await lua.#openHome();
    lua.register('sleep', (seconds) => {
      const ms = Math.max(0, Number(seconds) || 0) * 1000;
      return new Promise((resolve) => setTimeout(resolve, ms));
    });
    return lua;
  }

  /**
   * Exposes `fn` to Lua as the global function `name`. If it returns a
   * Promise, the calling Lua code waits (no slices run) until it settles and
   * then continues with the value, or raises a Lua error on rejection.
   * @param {string} name
   * @param {(...args: any[]) => any} fn
   */
  register(name, fn) {
    if (typeof fn !== 'function') throw new TypeError('register(name, fn) needs a function');
    this.#functions.set(String(name), fn);
    this.#rt.registerHostFunction(String(name));
  }

  #createRuntime(homeRecords) {
    const rt = new this.#module.LuaRuntime({
      fuelLimit: this.#options.fuelLimit,
      memoryLimit: this.#options.memoryLimit,
      memoryAlias: this.#options.memoryAlias !== false,
      js: this.#options.js === true,
      engine: this.#options.engine,
      homeRecords,
    });
    for (const name of this.#functions?.keys() ?? []) rt.registerHostFunction(name);
    if (this.#options.countAsserts) rt.countAsserts();
    this.#installInterop(rt);
    rt.setOutput((text) => {
      if (this.onOutput) {
        try {
          this.onOutput(text);
        } catch (e) {
          console.error('luahome: onOutput handler threw', e);
        }
      }
    });
    return rt;
  }

  // ----- _home persistence ---------------------------------------------------
  //
  // Every store operation of this tab runs one at a time (#enqueue) and under
  // the home's Web Lock, so flushes, compactions and imports of all tabs on
  // one home are serialised. Each flush first replays what other tabs
  // committed (readSince), then appends this tab's batch as one log record.

  /** The name of this state's `_home` and where it is kept ('indexeddb' or 'memory'). */
  get home() {
    return { name: this.#homeName(), backend: this.#db ? 'indexeddb' : 'memory', seq: this.#seq,
      logLength: this.#logLength, lastSaveMs: this.#lastSaveMs, lastSaveAt: this.#lastSaveAt,
      pending: !!this.#rt?.homePending() };
  }

  #homeName() {
    return String(this.#options.home ?? 'default');
  }

  #warn(message) {
    this.warnings.push(message);
    if (this.warnings.length > 200) this.warnings.splice(0, this.warnings.length - 200);
    if (this.onWarning) {
      try {
        this.onWarning(message);
      } catch (e) {
        console.error('luahome: onWarning handler threw', e);
      }
    } else {
      console.warn(`luahome: ${message}`);
    }
  }

  #drainWarnings() {
    for (const w of this.#rt?.takeWarnings() ?? []) this.#warn(w);
  }

  #enqueue(op) {
    const result = this.#ops.then(op);
    this.#ops = result.catch(() => {});
    return result;
  }

  #withLock(fn) {
    const locks = globalThis.navigator?.locks;
    if (!locks) return fn();
    return locks.request(`luahome:${this.#homeName()}`, fn);
  }

  async #openHome() {
    let loaded = null;
    this.#db = null;
    if (this.#options.persist !== false) {
      try {
        if (!globalThis.indexedDB) throw new Error('IndexedDB is not available in this context');
        const db = await this.#module.HomeDb.open(this.#homeName());
        loaded = await this.#withLock(() => db.load());
        this.#db = db;
      } catch (e) {
        this.#warn(`_home is kept in memory only (${errorMessage(e)}); it will not survive a reload`);
      }
    }
    try {
      this.#rt = this.#createRuntime(loaded?.records);
    } catch (e) {
      this.#warn(`_home could not be restored (${errorMessage(e)}); it is kept in memory only and nothing stored was changed`);
      this.#db = null;
      loaded = null;
      this.#rt = this.#createRuntime();
    }
    if (loaded) {
      this.#seq = loaded.seq;
      this.#epoch = loaded.epoch;
      for (const d of loaded.damage) this.#warn(`_home: ${d}`);
      if (loaded.recovered) this.#warn('_home: damaged records were quarantined (kept and exportable) and the home was rewritten from what loaded');
      try {
        await this.#withLock(() => this.#reserveIds());
      } catch (e) {
        this.#warn(`_home: could not reserve object ids (${errorMessage(e)})`);
      }
      this.#listen();
    }
    this.#drainWarnings();
  }

  async #reserveIds() {
    const [start, end] = await this.#db.reserveIds(this.#rt.homeMaxId() + 1);
    this.#rt.setHomeIdBlock(start, end);
  }

  #listen() {
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel?.close();
      this.#channel = new BroadcastChannel(`luahome:${this.#homeName()}`);
      this.#channel.onmessage = () => {
        const done = this.#enqueue(() => this.#withLock(() => this.#catchUp())).catch((e) =>
          this.#warn(`_home: could not read another tab's changes (${errorMessage(e)})`));
        this.#notice = done;
        done.finally(() => { if (this.#notice === done) this.#notice = null; });
      };
    }
    this.#lifecycle ??= onPageLeave(() => { this.save().catch(() => {}); });
  }

  // Applies what other tabs committed since #seq. Call under the lock.
  async #catchUp() {
    const news = await this.#db.readSince(this.#seq, this.#epoch);
    this.#logLength = news.logLength;
    const rt = this.#rt;
    if (news.resync) {
      for (const d of news.damage ?? []) this.#warn(`_home: ${d}`);
      rt.resyncHome(news.resync);
      const newEpoch = news.epoch !== this.#epoch;
      this.#seq = news.seq;
      this.#epoch = news.epoch;
      if (newEpoch) await this.#reserveIds();
      return;
    }
    let seq = this.#seq;
    for (const batch of news.batches) {
      try {
        rt.applyRemoteHome(batch);
      } catch (e) {
        this.#warn(`_home: log record ${seq + 1} from another tab cannot be applied (${errorMessage(e)})`);
        break;
      }
      seq += 1;
    }
    this.#seq = seq;
  }

  async #saveNow() {
    const rt = this.#rt;
    if (!this.#db) {
      this.#drainWarnings();
      return;
    }
    const started = now();
    await this.#withLock(async () => {
      await this.#catchUp();
      const batch = rt.takeHomeBatch();
      this.#drainWarnings();
      if (!batch) return;
      // A compaction snapshot must be exactly the state this batch commits.
      const snapshot = this.#logLength + 1 >= COMPACT_AFTER_RECORDS ? rt.homeRecordsNow() : null;
      try {
        this.#seq = await this.#db.append(batch);
        rt.commitHomeBatch();
      } catch (e) {
        rt.restoreHomeBatch();
        const quota = /quota/i.test(errorMessage(e));
        const message = `_home could not be saved${quota ? ' (storage quota exceeded)' : ''}: ${errorMessage(e)}; the changes stay pending and will be retried`;
        this.#warn(message);
        throw new LuaError({ kind: 'runtime', message });
      }
      this.#logLength += 1;
      this.#lastSaveMs = now() - started;
      this.#lastSaveAt = Date.now();
      this.#channel?.postMessage({ seq: this.#seq });
      if (snapshot) {
        try {
          await this.#db.compact(snapshot, this.#seq);
          this.#logLength = 0;
        } catch (e) {
          this.#warn(`_home: compaction failed (${errorMessage(e)}); the log is kept`);
        }
      }
    });
  }

  /**
   * Writes every `_home` change now; resolves when the IndexedDB transaction
   * has committed (rejects with a LuaError if it could not be written: the
   * changes stay pending and later saves retry them).
   */
  save() {
    this.#lastSave = now();
    return this.#enqueue(() => this.#saveNow());
  }

  // A save during a long run, at most every `saveEveryMs`.
  #maybeAutoSave() {
    if (!this.#db || this.#autoSaving || now() - this.#lastSave < this.#options.saveEveryMs) return;
    if (!this.#rt.homePending()) {
      this.#lastSave = now();
      return;
    }
    this.#autoSaving = true;
    this.save().catch(() => {}).finally(() => { this.#autoSaving = false; });
  }

  /** Saves, then folds the whole log into a new snapshot generation now. */
  async compactHome() {
    await this.save();
    if (!this.#db) return;
    await this.#enqueue(() => this.#withLock(async () => {
      await this.#catchUp();
      if (this.#rt.takeHomeBatch()) {
        // Changes since the save: write them first, the snapshot must match the log.
        this.#rt.restoreHomeBatch();
        return;
      }
      await this.#db.compact(this.#rt.homeRecordsNow(), this.#seq);
      this.#logLength = 0;
    }));
  }

  /** The whole `_home` as one versioned CBOR export (with the raw bytes of any quarantined records). */
  async exportHome() {
    await this.save().catch(() => {});
    const damaged = this.#db ? await this.#enqueue(() => this.#db.quarantined()) : [];
    return this.#rt.exportHome(damaged);
  }

  /**
   * Replaces `_home` with an export. The bytes are checked completely first;
   * nothing changes if they are invalid (the promise rejects).
   * @param {Uint8Array} bytes
   */
  async importHome(bytes) {
    if (this.#running) throw new LuaError({ kind: 'busy', message: 'cannot import _home while a chunk runs' });
    let checked;
    try {
      checked = this.#rt.validateHome(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    } catch (e) {
      throw new LuaError({ kind: 'runtime', message: errorMessage(e) });
    }
    await this.#enqueue(() => this.#withLock(async () => {
      if (this.#db) {
        await this.#catchUp();
        this.#epoch = await this.#db.replaceAll(checked.records, checked.maxId);
      }
      this.#rt.replaceHome(checked.records);
      if (this.#db) {
        await this.#reserveIds();
        this.#channel?.postMessage({ epoch: this.#epoch });
      }
    }));
  }

  /** `_home` as a JSON-friendly tree for inspectors. */
  homeSnapshot() {
    return this.#rt.homeSnapshot();
  }

  /** Turns the global `Memory` alias of `_home` on or off. */
  setMemoryAliasEnabled(enabled) {
    this.#options.memoryAlias = !!enabled;
    this.#rt.setMemoryAliasEnabled(!!enabled);
  }

  #status(state, stats) {
    if (!this.onStatus) return;
    try {
      this.onStatus({ state, ...stats });
    } catch (e) {
      console.error('luahome: onStatus handler threw', e);
    }
  }

  /** Whether a chunk is running (or paused). */
  get running() {
    return this.#running;
  }

  /** Whether the running chunk is paused. */
  get paused() {
    return this.#paused;
  }

  /**
   * Runs `source` as a chunk and resolves with its return values (an array:
   * nil -> null, tables -> arrays or plain objects), or rejects with a LuaError.
   * @param {string} source
   * @param {{chunkName?: string, fuelLimit?: number}} [options]
   */
  async run(source, { chunkName = 'main', fuelLimit } = {}) {
    if (this.#closed) throw new LuaError({ kind: 'busy', message: 'this Lua state is closed' });
    if (this.#runActive) {
      throw new LuaError({ kind: 'busy', message: 'a chunk is already running; stop it or wait for it' });
    }
    this.#runActive = true;
    try {
      // A run waits behind LuaFunction calls already queued.
      return await this.#schedule(async () => {
        // Another tab's committed writes are visible to this run: their notice
        // (BroadcastChannel) starts a catch-up, which the run waits for; without
        // BroadcastChannel every run catches up first. A store that does not
        // answer (a blocked database) must not hold the run up.
        const pending = !this.#db ? null : this.#channel ? this.#notice
          : this.#enqueue(() => this.#withLock(() => this.#catchUp())).catch((e) =>
            this.#warn(`_home: could not read other tabs' changes (${errorMessage(e)})`));
        if (pending) {
          const caughtUp = pending.then(() => true);
          const late = new Promise((resolve) => setTimeout(resolve, STORE_WAIT_MS, false));
          if (!(await Promise.race([caughtUp, late]))) {
            this.#warn(`_home: IndexedDB has not answered for ${STORE_WAIT_MS} ms; running without other tabs' latest changes`);
          }
        }
        return this.#execute(() => this.#rt.load(String(source), String(chunkName)), fuelLimit);
      });
    } finally {
      this.#runActive = false;
    }
  }

  // Runs one task (a chunk loaded by `start`, or a LuaFunction call) to the
  // end in slices; tasks run one at a time through #schedule.
  async #execute(start, fuelLimit) {
    if (this.#closed || this.#closing) throw new LuaError({ kind: 'busy', message: 'this Lua state is closed' });
    this.#running = true;
    this.#stopRequested = false;
    try {
      this.#rt.setFuelLimit(fuelLimit ?? this.#options.fuelLimit);
      start();
    } catch (info) {
      this.#running = false;
      throw info instanceof TypeError ? info : this.#toLuaError(info);
    }
    const stats = { slices: 0, fuel: 0, elapsedMs: 0 };
    const started = now();
    this.#status('running', stats);
    try {
      for (;;) {
        if (this.#paused && !this.#stopRequested) {
          this.#status('paused', stats);
          await new Promise((resolve) => this.#resumeWaiters.push(resolve));
          if (!this.#stopRequested) this.#status('running', stats);
        }
        if (this.#stopRequested) {
          const info = this.#rt.stop();
          throw new LuaError(info);
        }
        const t0 = now();
        let status;
        try {
          status = this.#rt.runSlice(this.#fuel);
        } catch (trap) {
          throw await this.#recoverFromTrap(trap);
        }
        const dt = now() - t0;
        this.#adaptFuel(dt);
        stats.slices += 1;
        stats.fuel = this.#rt.fuelUsed();
        stats.elapsedMs = now() - started;
        if (status === FINISHED) {
          const values = this.#rt.takeResult();
          this.#status('finished', stats);
          return values;
        }
        if (status === ERROR) throw this.#toLuaError(this.#rt.takeError());
        if (status === IDLE) return [];
        if (status === WAITING) {
          this.#maybeAutoSave();
          this.#status('waiting', stats);
          this.#waitingTask += 1;
          try {
            await this.#serveHostCalls();
          } finally {
            this.#waitingTask -= 1;
          }
          if (!this.#stopRequested) this.#status('running', stats);
          continue;
        }
        if (stats.slices % 8 === 0) this.#status('running', stats);
        this.#maybeAutoSave();
        await yieldToEventLoop();
      }
    } catch (e) {
      const err = e instanceof LuaError ? e : new LuaError({ kind: 'internal', message: String(e) });
      this.#status(err.kind === 'stopped' ? 'stopped' : 'error', stats);
      throw err;
    } finally {
      this.#running = false;
      this.#paused = false;
      this.#stopRequested = false;
      // Whatever the outcome, what the chunk wrote to _home is saved before
      // run settles (unless the store does not answer).
      const saved = this.#db && this.#rt.homePending() ? this.save().catch(() => {}) : null;
      if (saved) {
        await Promise.race([saved, new Promise((resolve) => setTimeout(resolve, STORE_WAIT_MS))]);
      }
    }
  }

  // Runs the JS side of Lua's host calls and settles them; returns early if
  // the chunk is stopped meanwhile.
  async #serveHostCalls() {
    const calls = this.#rt.takeHostCalls();
    const settle = calls.map(async (call) => {
      if ('promise' in call || 'module' in call) return this.#settleInterop(call);
      const fn = call.fn ?? this.#functions.get(call.name);
      try {
        if (!fn) throw new Error(`no host function '${call.name}'`);
        const value = await fn(...call.args);
        if (this.#stopRequested) return;
        try {
          this.#rt.resolveHostCall(call.id, value, false);
        } catch (e) {
          this.#rt.rejectHostCall(call.id, `bad result from '${call.name ?? 'host function'}': ${e.message ?? e}`);
        }
      } catch (e) {
        if (!this.#stopRequested) this.#rt.rejectHostCall(call.id, e instanceof Error ? e.message : String(e));
      }
    });
    const stopped = new Promise((resolve) => { this.#wakeStop = resolve; });
    await Promise.race([Promise.all(settle), stopped]);
    this.#wakeStop = null;
  }

  // Scales the fuel per slice so a slice takes about `sliceMs`.
  #adaptFuel(dt) {
    const target = this.#options.sliceMs;
    const ratio = dt > 0.05 ? target / dt : 2;
    const next = this.#fuel * Math.min(2, Math.max(0.25, ratio));
    // At ~15-20 ns per fuel unit, 1M fuel is ~20 ms: a slow sample cannot make a long task.
    this.#fuel = Math.round(Math.min(1_000_000, Math.max(1000, next)));
  }

  #toLuaError(info) {
    if (info instanceof LuaError) return info;
    if (info && typeof info === 'object' && 'kind' in info) return new LuaError(info);
    return new LuaError({ kind: 'internal', message: String(info) });
  }

  // A panic inside wasm is a trap that leaves the instance unusable: report it
  // and continue on a fresh instance.
  async #recoverFromTrap(trap) {
    console.error('luahome: the wasm runtime trapped; starting a fresh instance', trap);
    this.#module = (await loadModule({ wasmModule: this.#wasmModule }, (w) => this.#warn(w), true)).bindings;
    this.#generation += 1;
    this.#ops = Promise.resolve();
    await this.#openHome();
    return new LuaError({
      kind: 'internal',
      message: `internal VM error (${trap && trap.message ? trap.message : trap}); the runtime was restarted`,
    });
  }

  /** Ends the running chunk at the next slice boundary; its `run` promise rejects with kind 'stopped'. */
  stop() {
    if (!this.#running) return;
    this.#stopRequested = true;
    this.#wakeWaiters();
    this.#wakeStop?.();
  }

  /** Pauses the running chunk between slices. */
  pause() {
    if (this.#running) this.#paused = true;
  }

  /** Resumes a paused chunk. */
  resume() {
    this.#paused = false;
    this.#wakeWaiters();
  }

  #wakeWaiters() {
    const waiters = this.#resumeWaiters;
    this.#resumeWaiters = [];
    for (const w of waiters) w();
  }

  // ----- Driving Lua from the page -------------------------------------------
  //
  // Lua functions reach JS as LuaFunction objects, tables (on request) as
  // LuaTable objects: handles into the runtime's registry (vm-ext), released
  // by release() or, as a fallback, a FinalizationRegistry. A LuaFunction
  // call is a task like `run`: tasks run one at a time in the order they were
  // made (#schedule), each in slices (#execute). callSync, get/set and the
  // LuaTable methods run at once, between slices, with a fuel cap.

  #interop = {
    call: (handle, args) => this.#callFunction(handle, args),
    callSync: (handle, args) => this.#callSync(handle, args),
    release: (handle) => this.#release(handle),
    table: (handle, op, writes) => this.#tableOp(handle, op, writes),
  };

  #installInterop(rt) {
    const generation = this.#generation;
    const interop = this.#interop;
    rt.setFactories(
      (id) => new LuaFunction(interop, { id, generation, kind: 'function' }),
      (id, kind) => new LuaTable(interop, { id, generation, kind }),
      (id) => new LuaFunction(interop, { id, generation, kind: 'function' }).toFunction(),
    );
    for (const [name, source] of this.#modules) rt.addModule(name, source);
    for (const name of this.#moduleLoaders.keys()) rt.addModuleLoader(name);
    for (const [path, bytes] of this.#files) rt.mountFile(path, bytes);
  }

  #schedule(task) {
    if (this.#closed) return Promise.reject(new LuaError({ kind: 'busy', message: 'this Lua state is closed' }));
    const result = this.#tasks.then(task);
    this.#tasks = result.catch(() => {});
    return result;
  }

  #checkHandle(handle) {
    if (this.#closed) throw new LuaError({ kind: 'busy', message: 'this Lua state is closed' });
    if (handle.released) {
      throw new LuaError({ kind: 'runtime', message: `this Lua ${handle.kind === 'function' ? 'function' : 'table'} was released and can no longer be used` });
    }
    if (handle.generation !== this.#generation) {
      throw new LuaError({ kind: 'runtime', message: 'this Lua value belonged to a runtime instance that was restarted after an internal error' });
    }
  }

  #callFunction(handle, args) {
    try {
      this.#checkHandle(handle);
    } catch (e) {
      return Promise.reject(e);
    }
    // A call made while the running task waits on JS queues behind it; if
    // the JS function it waits on awaits this call, neither can finish.
    let started = false;
    if (this.#waitingTask > 0) {
      setTimeout(() => {
        if (!started && this.#waitingTask > 0) {
          this.#warn('a LuaFunction call has been queued for 2 s behind a chunk that waits on a JS function; '
            + 'if that function awaits the call, both wait forever (start the call without awaiting it, or use callSync)');
        }
      }, 2000);
    }
    return this.#schedule(() => {
      started = true;
      this.#checkHandle(handle);
      return this.#execute(() => this.#rt.callFunction(handle.id, args));
    });
  }

  // A trap inside wasm leaves the instance unusable: report it now and
  // restart the instance before the next task.
  #syncFailure(e) {
    if (e instanceof TypeError || e instanceof LuaError) return e;
    if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
      const recovered = this.#tasks.then(() => this.#recoverFromTrap(e));
      this.#tasks = recovered.catch(() => {});
      return new LuaError({ kind: 'internal', message: `internal VM error (${e.message}); the runtime is being restarted` });
    }
    return this.#toLuaError(e);
  }

  #sync(op, writes = false) {
    if (this.#closed) throw new LuaError({ kind: 'busy', message: 'this Lua state is closed' });
    let result;
    try {
      result = op(this.#rt);
    } catch (e) {
      throw this.#syncFailure(e);
    }
    if (writes) this.#afterWrite();
    return result;
  }

  #callSync(handle, args) {
    this.#checkHandle(handle);
    return this.#sync((rt) => rt.callSync(handle.id, args, this.#options.syncFuelLimit ?? 1_000_000), true);
  }

  #tableOp(handle, op, writes) {
    this.#checkHandle(handle);
    return this.#sync((rt) => op(rt, handle.id, handle.kind), writes);
  }

  #release(handle) {
    if (handle.released) return;
    handle.released = true;
    if (!this.#closed && handle.generation === this.#generation) this.#rt.release(handle.id);
  }

  // A write from the page (set, LuaTable.set) into `_home` is saved soon,
  // like a write from a chunk.
  #afterWrite() {
    if (!this.#db || this.#saveSoon) return;
    this.#saveSoon = true;
    setTimeout(() => {
      this.#saveSoon = false;
      if (!this.#closed && this.#rt.homePending()) this.save().catch(() => {});
    }, 0);
  }

  // Settles a host call for a promise a JS API returned to Lua, or for a
  // module source `require` asked the page for.
  async #settleInterop(call) {
    try {
      let value;
      let byRef = false;
      if ('promise' in call) {
        value = await call.promise;
        byRef = true;
      } else {
        const loader = this.#moduleLoaders.get(call.module);
        if (!loader) throw new Error(`no loader for module '${call.module}'`);
        value = await loader(call.module);
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw new TypeError(`the loader of module '${call.module}' must resolve to its source (a string)`);
        }
        this.#modules.set(call.module, value);
      }
      if (this.#stopRequested) return;
      try {
        this.#rt.resolveHostCall(call.id, value, byRef);
      } catch (e) {
        this.#rt.rejectHostCall(call.id, `bad result from a JS promise: ${errorMessage(e)}`);
      }
    } catch (e) {
      if (!this.#stopRequested) this.#rt.rejectHostCall(call.id, jsErrorText(e));
    }
  }

  /**
   * Reads a global or a dotted path (`'config.window.width'`; integer
   * segments are integer keys). Tables come back as copies, or as a
   * `LuaTable` handle with `{ byRef: true }`; functions as `LuaFunction`.
   */
  get(path, { byRef = false } = {}) {
    return this.#sync((rt) => rt.get(String(path), !!byRef));
  }

  /**
   * Sets a global or a dotted path. Values convert as for `register`'s
   * results; `LuaFunction`/`LuaTable` objects become the Lua values they
   * stand for; with `{ byRef: true }` a JS object reaches Lua by reference.
   */
  set(path, value, { byRef = false } = {}) {
    this.#sync((rt) => rt.set(String(path), value, !!byRef), true);
  }

  #rememberModule(name, source) {
    name = String(name);
    if (typeof source === 'function') {
      this.#moduleLoaders.set(name, source);
      this.#rt?.addModuleLoader(name);
      return;
    }
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
      throw new TypeError('a module is its source (a string or Uint8Array) or a function returning a promise of it');
    }
    this.#modules.set(name, source);
    this.#rt?.addModule(name, source);
  }

  /** Provides module `name` to `require`: its source, or a function returning a promise of it. */
  addModule(name, source) {
    this.#rememberModule(name, source);
  }

  /** Creates or replaces a file in the in-memory file system (`io.open`, `dofile`, `loadfile`, `require`). */
  mountFile(path, contents) {
    const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents)
      : contents instanceof Uint8Array ? contents
        : contents instanceof ArrayBuffer ? new Uint8Array(contents) : null;
    if (!bytes) throw new TypeError('mountFile(path, contents) needs a string, Uint8Array or ArrayBuffer');
    this.#files.set(String(path), bytes);
    this.#rt.mountFile(String(path), bytes);
  }

  /** A file's bytes from the in-memory file system (also files Lua wrote), or undefined. */
  readFile(path) {
    return this.#rt.readFile(String(path));
  }

  /** Deletes a file from the in-memory file system; false if there was none. */
  unmountFile(path) {
    this.#files.delete(String(path));
    return this.#rt.unmountFile(String(path));
  }

  /** How many Lua values the page holds by handle, and how many JS objects Lua holds. */
  interopStats() {
    return this.#rt.interopStats();
  }

  /**
   * With `Lua.open({ countAsserts: true })`: how many `assert` calls have
   * passed (the global `assert` is then a counting one, otherwise Lua's).
   */
  get assertsPassed() {
    return this.#rt?.assertsPassed() ?? 0;
  }

  /** Stops any running chunk and frees the runtime. */
  async close() {
    if (this.#closed) return;
    this.#closing = true;
    this.stop();
    while (this.#running) await yieldToEventLoop();
    // As lua_close: the __gc of objects still marked for finalization runs
    // (bounded like a synchronous call, so a runaway finalizer cannot hang
    // the page), before the last save keeps what they wrote to _home.
    this.#rt.closeFinalizers(this.#options.syncFuelLimit ?? 1_000_000);
    await this.save().catch(() => {});
    this.#closed = true;
    this.#channel?.close();
    this.#lifecycle?.();
    this.#db?.close();
    this.#db = null;
    this.#rt.free();
  }
}

// ---------------------------------------------------------------------------
// Handles to Lua values held by the page.

const REF = '__luahomeRef';
const KIND = '__luahomeKind';

// Releases handles the page dropped without release().
const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(({ interop, handle }) => interop.release(handle))
  : null;

function jsErrorText(e) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A Lua function held by the page. `await fn.call(...args)` runs it as a
 * task of its own (sliced, stoppable, may wait on promises) queued behind
 * the running chunk or call; `fn.callSync(...args)` runs it at once with a
 * fuel cap. Call `release()` when done (a FinalizationRegistry releases
 * forgotten ones eventually).
 */
export class LuaFunction {
  #interop;
  #handle;

  constructor(interop, handle) {
    if (!interop || typeof interop.call !== 'function') throw new TypeError('LuaFunction objects come from a Lua state');
    this.#interop = interop;
    this.#handle = handle;
    finalizer?.register(this, { interop, handle }, this);
  }

  get [REF]() { return this.#handle.id; }
  get [KIND]() { return 'function'; }
  /** Whether release() was called. */
  get released() { return this.#handle.released === true; }

  /** Runs the function as a queued, sliced task; resolves with its first result. */
  async call(...args) {
    const values = await this.#interop.call(this.#handle, args);
    return values[0];
  }

  /** Like call(), resolving with all results as an array. */
  callMulti(...args) {
    return this.#interop.call(this.#handle, args);
  }

  /**
   * Runs the function now and returns its first result. Throws a LuaError
   * of kind 'fuel' past the cap (`syncFuelLimit`, default 1e6), and of kind
   * 'runtime' if the function waits on a promise (use call() for those).
   */
  callSync(...args) {
    return this.#interop.callSync(this.#handle, args)[0];
  }

  /** `function: lua#<id>` (also what JSON.stringify shows). */
  toString() { return `function: lua#${this.#handle.id}`; }
  toJSON() { return this.toString(); }

  /** A plain JS function that calls this one (returns the promise of call()). */
  toFunction() {
    const f = (...args) => this.call(...args);
    Object.defineProperty(f, REF, { get: () => this.#handle.id });
    Object.defineProperty(f, KIND, { value: 'function' });
    return f;
  }

  /** Lets Lua collect the function (if nothing in Lua refers to it). */
  release() {
    finalizer?.unregister(this);
    this.#interop.release(this.#handle);
  }
}

/**
 * A Lua table (or `_home` table) held by reference: reads see Lua's
 * changes, writes go through metamethods (so `_home` writes persist).
 */
export class LuaTable {
  #interop;
  #handle;

  constructor(interop, handle) {
    if (!interop || typeof interop.table !== 'function') throw new TypeError('LuaTable objects come from a Lua state');
    this.#interop = interop;
    this.#handle = handle;
    finalizer?.register(this, { interop, handle }, this);
  }

  get [REF]() { return this.#handle.id; }
  get [KIND]() { return this.#handle.kind; }
  /** 'table', or 'userdata' for a `_home` table. */
  get type() { return this.#handle.kind; }
  get released() { return this.#handle.released === true; }

  /** `t[key]`; a table value comes back as a copy, or a LuaTable with `{ byRef: true }`. */
  get(key, { byRef = false } = {}) {
    return this.#interop.table(this.#handle, (rt, id, kind) => rt.getField(id, kind, key, !!byRef));
  }

  /** `t[key] = value`; with `{ byRef: true }` a JS object goes in by reference. */
  set(key, value, { byRef = false } = {}) {
    this.#interop.table(this.#handle, (rt, id, kind) => rt.setField(id, kind, key, value, !!byRef), true);
  }

  /** The keys, in `pairs` order. */
  keys() {
    return this.#interop.table(this.#handle, (rt, id, kind) => rt.tableKeys(id, kind));
  }

  /** `#t`. */
  get length() {
    return this.#interop.table(this.#handle, (rt, id, kind) => rt.tableLength(id, kind));
  }

  /** A copy as plain JS data (also what JSON.stringify uses). */
  toJSON() {
    return this.#interop.table(this.#handle, (rt, id, kind) => rt.tableCopy(id, kind));
  }

  release() {
    finalizer?.unregister(this);
    this.#interop.release(this.#handle);
  }
}

// ---------------------------------------------------------------------------
// Worker mode: the same API, with the runtime inside a dedicated Web Worker
// (web/luahome-worker.js). Output, status and results arrive by messages;
// stop/pause/resume are messages the worker handles between slices.

function errorInfo(e) {
  return { kind: e?.kind ?? 'internal', message: e?.message ?? String(e), chunk: e?.chunk ?? null,
    line: e?.line ?? null, traceback: e?.traceback ?? null, code: e?.code ?? null };
}

// A module worker for `workerUrl`, or for the worker file next to this module
// (written as one `new Worker(new URL(...))` expression so that Vite bundles it).
// A worker script on another origin (a CDN) is started through a same-origin
// blob that imports it, since browsers refuse cross-origin worker scripts.
function startWorker(workerUrl) {
  if (typeof Worker !== 'function') {
    throw loadError('unsupported', 'worker mode needs Web Workers, which this environment lacks; '
      + 'open without { worker: true } to run on the main thread');
  }
  if (workerUrl === undefined) {
    return new Worker(new URL('./luahome-worker.js', import.meta.url), { type: 'module' });
  }
  const url = toUrl(workerUrl, 'workerUrl');
  if (globalThis.location && url.origin !== globalThis.location.origin && url.protocol !== 'blob:'
      && url.protocol !== 'data:') {
    const blob = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
    return new Worker(URL.createObjectURL(blob), { type: 'module' });
  }
  return new Worker(url, { type: 'module' });
}

class WorkerLua {
  #worker;
  #moduleLoaders = new Map();
  #pending = new Map();
  #nextId = 0;
  #functions = new Map();
  #running = 0;
  #paused = false;
  #closed = false;

  #lifecycle = null;

  onOutput = null;
  onStatus = null;
  onWarning = null;
  warnings = [];

  static async open(options) {
    const lua = new WorkerLua();
    const { worker: _, onWarning, workerUrl, modules, ...rest } = options;
    if (rest.wasmUrl !== undefined) rest.wasmUrl = toUrl(rest.wasmUrl, 'wasmUrl').href;
    lua.#worker = startWorker(workerUrl);
    lua.#worker.onmessage = (e) => lua.#receive(e.data);
    // A worker script that fails to load (missing, wrong type, a syntax error,
    // no module workers) only fires 'error': fail every pending request by name.
    lua.#worker.onerror = (event) => {
      event.preventDefault?.();
      const detail = event.message ? ` (${event.message})` : '';
      lua.#fail(loadError('worker-failed', `the luahome worker could not start${detail}: check that `
        + 'luahome-worker.js (and luahome.js, luahome_wasm.js and luahome_bg.wasm beside it) is served from '
        + 'this origin as JavaScript, pass { workerUrl } to Lua.open if it lives elsewhere, or open without '
        + '{ worker: true }; module workers need Chrome 80+, Firefox 114+ or Safari 15+'));
    };
    if (onWarning) lua.onWarning = onWarning;
    try {
      lua.home = await lua.#request({ type: 'open', options: rest });
    } catch (e) {
      lua.#worker.terminate();
      throw e;
    }
    for (const [name, source] of Object.entries(modules ?? {})) lua.addModule(name, source);
    // The worker cannot see the page going away: tell it to save.
    lua.#lifecycle = onPageLeave(() => lua.#worker.postMessage({ type: 'save' }));
    return lua;
  }

  #fail(error) {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  save() { return this.#request({ type: 'save' }); }

  // ----- Driving Lua from the page, across the worker boundary ---------------
  // Plain data is copied (structured clone); Lua functions cross as ids
  // (WorkerLuaFunction here, the worker's LuaFunction there); by-reference
  // tables and JS objects cannot cross and are refused with a clear error.

  #send(message) {
    return this.#request(message).catch((e) => { throw crossError(e); });
  }

  get(path, { byRef = false } = {}) {
    if (byRef) return Promise.reject(noByRef('lua.get(path, { byRef: true })'));
    return this.#send({ type: 'get', path: String(path) }).then((v) => fromWire(v, this.#interop));
  }

  set(path, value, { byRef = false } = {}) {
    if (byRef) return Promise.reject(noByRef('lua.set(path, value, { byRef: true })'));
    return this.#send({ type: 'set', path: String(path), value: toWire(value) });
  }

  addModule(name, source) {
    if (typeof source === 'function') {
      this.#moduleLoaders.set(String(name), source);
      this.#worker.postMessage({ type: 'addModuleLoader', name: String(name) });
    } else {
      this.#worker.postMessage({ type: 'addModule', name: String(name), source });
    }
  }

  mountFile(path, contents) { return this.#send({ type: 'mountFile', path: String(path), contents }); }
  readFile(path) { return this.#send({ type: 'readFile', path: String(path) }); }
  unmountFile(path) { return this.#send({ type: 'unmountFile', path: String(path) }); }
  interopStats() { return this.#send({ type: 'interopStats' }); }

  #interop = {
    call: (id, args) => this.#send({ type: 'callFunction', fn: id, args: toWire(args) })
      .then((v) => fromWire(v, this.#interop)),
    release: (id) => this.#worker.postMessage({ type: 'releaseFunction', fn: id }),
  };

  exportHome() { return this.#request({ type: 'exportHome' }); }
  compactHome() { return this.#request({ type: 'compactHome' }); }
  importHome(bytes) { return this.#request({ type: 'importHome', bytes }); }
  homeSnapshot() { return this.#request({ type: 'homeSnapshot' }); }
  setMemoryAliasEnabled(enabled) { return this.#request({ type: 'setMemoryAliasEnabled', enabled: !!enabled }); }

  #request(message) {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ ...message, id });
      } catch (e) {
        this.#pending.delete(id);
        throw e;
      }
    });
  }

  async #receive(m) {
    switch (m.type) {
      case 'output':
        if (this.onOutput) try { this.onOutput(m.text); } catch (e) { console.error(e); }
        break;
      case 'home':
        this.home = m.home;
        break;
      case 'status':
        if (m.home) this.home = m.home;
        if (this.onStatus) try { this.onStatus(m.status); } catch (e) { console.error(e); }
        break;
      case 'warning':
        this.warnings.push(m.message);
        if (this.onWarning) try { this.onWarning(m.message); } catch (e) { console.error(e); }
        else console.warn(`luahome: ${m.message}`);
        break;
      case 'reply': {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (!p) break;
        if (m.ok) p.resolve(m.value);
        else p.reject(m.error?.typeError ? new TypeError(m.error.message) : new LuaError(m.error));
        break;
      }
      case 'call': {
        // Lua in the worker called a function registered on this page.
        const fn = m.module ? this.#moduleLoaders.get(m.module) : this.#functions.get(m.name);
        try {
          if (!fn) throw new Error(m.module ? `no loader for module '${m.module}'` : `no host function '${m.name}'`);
          const value = m.module ? await fn(m.module) : await fn(...fromWire(m.args, this.#interop));
          try {
            this.#worker.postMessage({ type: 'callResult', callId: m.callId, ok: true, value: toWire(value) });
          } catch (e) {
            throw crossError(e);
          }
        } catch (e) {
          this.#worker.postMessage({ type: 'callResult', callId: m.callId, ok: false,
            error: e instanceof Error ? e.message : String(e) });
        }
        break;
      }
    }
  }

  get running() { return this.#running > 0; }
  get paused() { return this.#paused; }

  register(name, fn) {
    if (typeof fn !== 'function') throw new TypeError('register(name, fn) needs a function');
    this.#functions.set(String(name), fn);
    this.#worker.postMessage({ type: 'register', name: String(name) });
  }

  async run(source, options = {}) {
    if (this.#closed) throw new LuaError({ kind: 'busy', message: 'this Lua state is closed' });
    this.#running += 1;
    try {
      return fromWire(await this.#request({ type: 'run', source: String(source), options }), this.#interop);
    } finally {
      this.#running -= 1;
      if (!this.#running) this.#paused = false;
    }
  }

  stop() { this.#worker.postMessage({ type: 'stop' }); }
  pause() { if (this.running) { this.#paused = true; this.#worker.postMessage({ type: 'pause' }); } }
  resume() { this.#paused = false; this.#worker.postMessage({ type: 'resume' }); }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#lifecycle?.();
    await Promise.race([this.#request({ type: 'close' }).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 1000))]);
    this.#worker.terminate();
    for (const p of this.#pending.values()) p.reject(new LuaError({ kind: 'stopped', message: 'stopped' }));
    this.#pending.clear();
  }
}

// The marker a Lua function crosses the worker boundary as.
const WIRE_FN = '__luahomeWorkerFn';

// A Lua function living in a worker's Lua state, held by the page.
class WorkerLuaFunction {
  #interop;
  #id;
  #released = false;

  constructor(interop, id) {
    this.#interop = interop;
    this.#id = id;
    finalizer?.register(this, { interop: { release: () => interop.release(id) }, handle: {} }, this);
  }

  get [WIRE_FN]() { return this.#id; }
  get released() { return this.#released; }

  async call(...args) { return (await this.callMulti(...args))[0]; }

  callMulti(...args) {
    if (this.#released) return Promise.reject(new LuaError({ kind: 'runtime', message: 'this Lua function was released and can no longer be used' }));
    return this.#interop.call(this.#id, args);
  }

  callSync() {
    throw new LuaError({ kind: 'runtime', message: 'callSync is not available in worker mode: the Lua state runs in another thread; use call()' });
  }

  toFunction() {
    const f = (...args) => this.call(...args);
    Object.defineProperty(f, WIRE_FN, { get: () => this.#id });
    return f;
  }

  release() {
    if (this.#released) return;
    this.#released = true;
    finalizer?.unregister(this);
    this.#interop.release(this.#id);
  }
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// Replaces Lua functions (LuaFunction here or WorkerLuaFunction on the page)
// by id markers; `keep` stores a LuaFunction and returns its id (worker side).
function toWire(v, keep = null, depth = 0) {
  if (depth > 200) throw new TypeError('cannot send a structure nested this deeply to the worker');
  if (v instanceof LuaTable) throw noByRef('a LuaTable');
  if (v instanceof LuaFunction) {
    if (!keep) throw new TypeError('a LuaFunction of another Lua state cannot cross the worker boundary');
    return { [WIRE_FN]: keep(v) };
  }
  if ((typeof v === 'object' || typeof v === 'function') && v !== null && typeof v[WIRE_FN] === 'number') {
    return { [WIRE_FN]: v[WIRE_FN] };
  }
  if (Array.isArray(v)) return v.map((x) => toWire(x, keep, depth + 1));
  if (isPlainObject(v)) {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = toWire(x, keep, depth + 1);
    return out;
  }
  return v;
}

// The inverse of toWire: markers become WorkerLuaFunction (page side) or
// what `revive(id)` returns (worker side).
function fromWire(v, interop, revive = null) {
  if (Array.isArray(v)) return v.map((x) => fromWire(x, interop, revive));
  if (isPlainObject(v)) {
    if (typeof v[WIRE_FN] === 'number' && Object.keys(v).length === 1) {
      return revive ? revive(v[WIRE_FN]) : new WorkerLuaFunction(interop, v[WIRE_FN]);
    }
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromWire(x, interop, revive);
    return out;
  }
  return v;
}

function noByRef(what) {
  return new TypeError(`${what}: by-reference values cannot cross the worker boundary (the Lua state runs in a worker); plain data is copied, Lua functions are called with call()`);
}

function crossError(e) {
  if (e && e.name === 'DataCloneError') {
    return new TypeError(`this value cannot be sent to the worker (${e.message}); by-reference objects (DOM nodes, class instances, JS functions) cannot cross the worker boundary, plain data can`);
  }
  return e;
}

export { WorkerLua, errorInfo, toWire, fromWire };
