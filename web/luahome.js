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

const PKG_JS = new URL('./pkg/luahome.js', import.meta.url);
const PKG_WASM = new URL('./pkg/luahome_bg.wasm', import.meta.url);

// Slice status codes from the wasm edge (`SliceStatus`).
const IDLE = 0;
const RUNNING = 1;
const FINISHED = 2;
const ERROR = 3;
const WAITING = 4;

/** An error raised by Lua or by the runtime around it. */
export class LuaError extends Error {
  /**
   * @param {{kind: string, message: string, chunk?: string|null, line?: number|null, traceback?: string|null}} info
   */
  constructor(info) {
    super(info.message);
    this.name = 'LuaError';
    /** 'syntax' | 'runtime' | 'stopped' | 'fuel' | 'internal' | 'busy' */
    this.kind = info.kind;
    this.chunk = info.chunk ?? null;
    this.line = info.line ?? null;
    this.traceback = info.traceback ?? null;
  }
}

let sharedModule = null;
let moduleGeneration = 0;

// Loads the wasm package. A trapped wasm instance is unusable, so `fresh`
// imports a new copy of the module (and with it a new instance).
async function loadModule(fresh = false) {
  if (!fresh && sharedModule) return sharedModule;
  const url = fresh ? `${PKG_JS.href}?instance=${++moduleGeneration}` : PKG_JS.href;
  const promise = import(url).then(async (mod) => {
    await mod.default({ module_or_path: PKG_WASM });
    return mod;
  });
  if (!fresh) sharedModule = promise;
  return promise;
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
  #rt;
  #running = false;
  #stopRequested = false;
  #paused = false;
  #resumeWaiters = [];
  #fuel;
  #closed = false;
  #functions = new Map();
  #wakeStop = null;
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
   *   engine?: 'piccolo' | 'luahome', onWarning?: (message: string) => void}} [options]
   *   sliceMs: target duration of one slice (default 4 ms);
   *   fuelLimit: default bound on the total work of each run;
   *   memoryLimit: bytes the Lua heap may use;
   *   worker: run the state in a dedicated Web Worker (same API);
   *   home: the name of the persistent `_home` (one IndexedDB database each; default "default");
   *   persist: false keeps `_home` in memory only;
   *   memoryAlias: false leaves the global `Memory` unset;
   *   saveEveryMs: how often a long run writes `_home` (default 300 ms);
   *   engine: the Lua core, 'piccolo' (default) or 'luahome' (the project's own);
   *   onWarning: receives warnings, including those raised while opening.
   */
  static async open(options = {}) {
    if (options.worker) return WorkerLua.open(options);
    const module = await loadModule();
    const lua = new Lua(Lua.#token, module, { sliceMs: 4, saveEveryMs: 300, ...options });
    if (options.onWarning) lua.onWarning = options.onWarning;
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
      engine: this.#options.engine,
      homeRecords,
    });
    for (const name of this.#functions?.keys() ?? []) rt.registerHostFunction(name);
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
      logLength: this.#logLength, lastSaveMs: this.#lastSaveMs };
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
    if (this.#running) {
      throw new LuaError({ kind: 'busy', message: 'a chunk is already running; stop it or wait for it' });
    }
    this.#running = true;
    this.#stopRequested = false;
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
    try {
      this.#rt.setFuelLimit(fuelLimit ?? this.#options.fuelLimit);
      this.#rt.load(String(source), String(chunkName));
    } catch (info) {
      this.#running = false;
      throw this.#toLuaError(info);
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
          await this.#serveHostCalls();
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
      await Promise.race([saved,
        new Promise((resolve) => setTimeout(resolve, STORE_WAIT_MS))]);
    }
  }

  // Runs the JS side of Lua's host calls and settles them; returns early if
  // the chunk is stopped meanwhile.
  async #serveHostCalls() {
    const calls = this.#rt.takeHostCalls();
    const settle = calls.map(async (call) => {
      const fn = call.fn ?? this.#functions.get(call.name);
      try {
        if (!fn) throw new Error(`no host function '${call.name}'`);
        const value = await fn(...call.args);
        if (this.#stopRequested) return;
        try {
          this.#rt.resolveHostCall(call.id, value);
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
    this.#module = await loadModule(true);
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

  /** Stops any running chunk and frees the runtime. */
  async close() {
    if (this.#closed) return;
    this.stop();
    while (this.#running) await yieldToEventLoop();
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
// Worker mode: the same API, with the runtime inside a dedicated Web Worker
// (web/luahome-worker.js). Output, status and results arrive by messages;
// stop/pause/resume are messages the worker handles between slices.

function errorInfo(e) {
  return { kind: e?.kind ?? 'internal', message: e?.message ?? String(e), chunk: e?.chunk ?? null,
    line: e?.line ?? null, traceback: e?.traceback ?? null };
}

class WorkerLua {
  #worker;
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
    lua.#worker = new Worker(new URL('./luahome-worker.js', import.meta.url), { type: 'module' });
    lua.#worker.onmessage = (e) => lua.#receive(e.data);
    const { worker: _, onWarning, ...rest } = options;
    if (onWarning) lua.onWarning = onWarning;
    lua.home = await lua.#request({ type: 'open', options: rest });
    // The worker cannot see the page going away: tell it to save.
    lua.#lifecycle = onPageLeave(() => lua.#worker.postMessage({ type: 'save' }));
    return lua;
  }

  save() { return this.#request({ type: 'save' }); }
  exportHome() { return this.#request({ type: 'exportHome' }); }
  compactHome() { return this.#request({ type: 'compactHome' }); }
  importHome(bytes) { return this.#request({ type: 'importHome', bytes }); }
  homeSnapshot() { return this.#request({ type: 'homeSnapshot' }); }
  setMemoryAliasEnabled(enabled) { return this.#request({ type: 'setMemoryAliasEnabled', enabled: !!enabled }); }

  #request(message) {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  async #receive(m) {
    switch (m.type) {
      case 'output':
        if (this.onOutput) try { this.onOutput(m.text); } catch (e) { console.error(e); }
        break;
      case 'status':
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
        else p.reject(new LuaError(m.error));
        break;
      }
      case 'call': {
        // Lua in the worker called a function registered on this page.
        const fn = this.#functions.get(m.name);
        try {
          if (!fn) throw new Error(`no host function '${m.name}'`);
          const value = await fn(...m.args);
          this.#worker.postMessage({ type: 'callResult', callId: m.callId, ok: true, value });
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
      return await this.#request({ type: 'run', source: String(source), options });
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

export { WorkerLua, errorInfo };
