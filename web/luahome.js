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

  /** Called with each piece of output text (`print`, `io.write`) as it is produced. */
  onOutput = null;
  /** Called with `{state, slices, fuel, elapsedMs}` as a run progresses. */
  onStatus = null;

  constructor(token, module, options) {
    if (token !== Lua.#token) throw new TypeError('use `await Lua.open(options)`');
    this.#module = module;
    this.#options = options;
    this.#fuel = options.initialFuel ?? 20000;
    this.#rt = this.#createRuntime();
  }

  static #token = Symbol('Lua');

  /**
   * Opens a Lua state.
   * @param {{sliceMs?: number, fuelLimit?: number, memoryLimit?: number, worker?: boolean}} [options]
   *   sliceMs: target duration of one slice (default 4 ms);
   *   fuelLimit: default bound on the total work of each run;
   *   memoryLimit: bytes the Lua heap may use;
   *   worker: run the state in a dedicated Web Worker (same API).
   */
  static async open(options = {}) {
    if (options.worker) return WorkerLua.open(options);
    const module = await loadModule();
    const lua = new Lua(Lua.#token, module, { sliceMs: 4, ...options });
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

  #createRuntime() {
    const rt = new this.#module.LuaRuntime({
      fuelLimit: this.#options.fuelLimit,
      memoryLimit: this.#options.memoryLimit,
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
    try {
      this.#rt.setFuelLimit(fuelLimit ?? this.#options.fuelLimit);
      this.#rt.load(String(source), String(chunkName));
    } catch (info) {
      throw this.#toLuaError(info);
    }
    this.#running = true;
    this.#stopRequested = false;
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
          this.#status('waiting', stats);
          await this.#serveHostCalls();
          if (!this.#stopRequested) this.#status('running', stats);
          continue;
        }
        if (stats.slices % 8 === 0) this.#status('running', stats);
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
    this.#rt = this.#createRuntime();
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
    this.#closed = true;
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

  onOutput = null;
  onStatus = null;

  static async open(options) {
    const lua = new WorkerLua();
    lua.#worker = new Worker(new URL('./luahome-worker.js', import.meta.url), { type: 'module' });
    lua.#worker.onmessage = (e) => lua.#receive(e.data);
    const { worker: _, ...rest } = options;
    await lua.#request({ type: 'open', options: rest });
    return lua;
  }

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
    this.#worker.terminate();
    for (const p of this.#pending.values()) p.reject(new LuaError({ kind: 'stopped', message: 'stopped' }));
    this.#pending.clear();
  }
}

export { WorkerLua, errorInfo };
