/**
 * Why `Lua.open` could not load the runtime (`LuaError.kind === 'load'`).
 * - `wasm-not-found`: the wasm URL answered 404 (or an HTML fallback page);
 * - `wasm-network`: the wasm could not be fetched (network, CORS, connect-src, other HTTP status);
 * - `wasm-invalid`: the file is not a wasm module this browser can compile;
 * - `csp`: the page's Content-Security-Policy lacks `'wasm-unsafe-eval'`;
 * - `file-url`: the page or the wasm is on a `file://` URL, which browsers do not fetch;
 * - `unsupported`: a needed feature is missing (WebAssembly; Web Workers for `worker: true`);
 * - `worker-failed`: the worker script for `worker: true` could not start;
 * - `bad-option`: `wasmUrl`, `workerUrl` or `wasmModule` is not usable.
 */
export type LoadFailure =
  | 'wasm-not-found'
  | 'wasm-network'
  | 'wasm-invalid'
  | 'csp'
  | 'file-url'
  | 'unsupported'
  | 'worker-failed'
  | 'bad-option';

/** What ended a chunk, or (`load`) why the runtime could not start. */
export type LuaErrorKind = 'syntax' | 'runtime' | 'stopped' | 'fuel' | 'memory' | 'internal' | 'busy' | 'load';

/** An error raised by Lua or by the runtime around it. */
export class LuaError extends Error {
  readonly name: 'LuaError';
  /** What ended the chunk, or `load` when `Lua.open` could not load the runtime. */
  readonly kind: LuaErrorKind;
  /** The chunk name, when known. */
  readonly chunk: string | null;
  /** The 1-based line, when known. */
  readonly line: number | null;
  /** Lua's stack traceback, when known. */
  readonly traceback: string | null;
  /** For kind `load`: which part of loading failed; otherwise null. */
  readonly code: LoadFailure | null;
}

/**
 * A value returned from Lua: nil is null, sequences are arrays, other tables
 * plain objects, functions `LuaFunction`, tables asked for by reference
 * `LuaTable`, JS objects lent to Lua themselves.
 */
export type LuaValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | LuaFunction
  | LuaTable
  | LuaValue[]
  | { [key: string]: LuaValue };

/** A key of a Lua table as JS passes it. */
export type LuaKey = string | number | boolean | bigint;

/** Options for `get`/`set` and the `LuaTable` methods. */
export interface RefOptions {
  /**
   * `get`: a table comes back as a `LuaTable` handle instead of a copy.
   * `set`: a JS object reaches Lua by reference (fields read and written
   * live, methods called with `:`) instead of as a copy. Not in worker mode.
   */
  byRef?: boolean;
}

/**
 * A Lua function held by the page. Returned by `run`, `get`, and passed to
 * registered functions. Release it when done (a FinalizationRegistry
 * releases forgotten ones eventually).
 */
export class LuaFunction<Args extends any[] = any[], R = LuaValue> {
  private constructor();
  /** Runs the function as a task of its own (sliced, queued behind the running chunk or call); resolves with its first result. */
  call(...args: Args): Promise<R>;
  /** Like `call`, resolving with all results. */
  callMulti(...args: Args): Promise<LuaValue[]>;
  /**
   * Runs the function now; throws a `LuaError` of kind `fuel` past the cap
   * (`syncFuelLimit`, default 1e6) and of kind `runtime` if it waits on a
   * promise. Not available in worker mode.
   */
  callSync(...args: Args): R;
  /** A plain JS function that calls this one (for `addEventListener` and the like). */
  toFunction(): (...args: Args) => Promise<R>;
  /** `function: lua#<id>`; JSON.stringify shows the same text. */
  toString(): string;
  toJSON(): string;
  /** Lets Lua collect the function. */
  release(): void;
  readonly released: boolean;
}

/** A Lua table (or a `_home` table) held by reference. Not in worker mode. */
export class LuaTable<T extends Record<string, any> = Record<string, LuaValue>> {
  private constructor();
  /** 'table', or 'userdata' for a `_home` table. */
  readonly type: 'table' | 'userdata';
  get<K extends keyof T & LuaKey>(key: K, options?: RefOptions): T[K];
  get<V = LuaValue>(key: LuaKey, options?: RefOptions): V;
  /** Writes through `__newindex` (so `_home` writes persist). */
  set<K extends keyof T & LuaKey>(key: K, value: T[K], options?: RefOptions): void;
  set(key: LuaKey, value: unknown, options?: RefOptions): void;
  /** The keys in `pairs` order. */
  keys(): LuaKey[];
  /** `#t`. */
  readonly length: number;
  /** A copy as plain data (`JSON.stringify` uses it). */
  toJSON(): T;
  release(): void;
  readonly released: boolean;
}

/** A module for `require`: its source, or a function resolving to it (called on the first `require`). */
export type ModuleSource = string | Uint8Array | ((name: string) => Promise<string | Uint8Array>);

export interface OpenOptions {
  /** Target duration of one slice in milliseconds (default 4). */
  sliceMs?: number;
  /** Bound on the total work (fuel, about one unit per VM instruction) of each run. */
  fuelLimit?: number;
  /** Bytes the Lua heap may use. */
  memoryLimit?: number;
  /** Test suites: the global `assert` counts the calls that pass (`lua.assertsPassed`); page mode only. */
  countAsserts?: boolean;
  /** Run the state in a dedicated Web Worker (same API). */
  worker?: boolean;
  /** Name of the persistent `_home` (one IndexedDB database each). Default `default`. */
  home?: string;
  /** `false` keeps `_home` in memory only. Default true. */
  persist?: boolean;
  /** `false` leaves the global `Memory` alias of `_home` unset. Default true. */
  memoryAlias?: boolean;
  /** How often a long run saves `_home`, in milliseconds. Default 300. */
  saveEveryMs?: number;
  /**
   * The Lua core: `luahome` (default: the project's own compiler and interpreter) or `piccolo` (piccolo 0.3.3's,
   * whose compiler is in `luahome_piccolo_bg.wasm`, fetched instead of `luahome_bg.wasm`). Closures stored in
   * `_home` by either core load and run on both.
   */
  engine?: 'piccolo' | 'luahome';
  /** Receives warnings (also those raised while opening). */
  onWarning?: (message: string) => void;
  /**
   * Installs the `js` library (`js.global`, `js.new`, `js.typeof`,
   * `js.instanceof`, `js.await`), which hands scripts the page's authority.
   * Default false. In worker mode it reaches the worker's global scope.
   */
  js?: boolean;
  /** Modules `require` finds after `package.preload`. */
  modules?: Record<string, ModuleSource>;
  /** The fuel cap of `LuaFunction.callSync`, `get`, `set` and `LuaTable` methods. Default 1e6. */
  syncFuelLimit?: number;
  /**
   * Where `luahome_bg.wasm` (for `engine: 'piccolo'`: `luahome_piccolo_bg.wasm`) is (relative URLs resolve
   * against the page). Default: next to `luahome.js`.
   */
  wasmUrl?: string | URL;
  /** An already compiled `luahome_bg.wasm` (or `luahome_piccolo_bg.wasm`); nothing is fetched then. */
  wasmModule?: WebAssembly.Module;
  /** Where `luahome-worker.js` is, for `worker: true`. Default: next to `luahome.js`. */
  workerUrl?: string | URL;
}

export interface HomeInfo {
  name: string;
  backend: 'indexeddb' | 'memory';
  /** Sequence number of the last log record this state has seen. */
  seq: number;
  logLength?: number;
  /** How long the last save took, in milliseconds. */
  lastSaveMs?: number | null;
  /** When the last save committed (`Date.now()` time), or null. */
  lastSaveAt?: number | null;
  /** Whether `_home` has changes not yet saved. */
  pending?: boolean;
}

/** `_home` as a JSON tree: tables, scalars, and functions with their chunk and line. */
export type HomeNode =
  | null
  | boolean
  | number
  | string
  | { type: 'table'; id: number; entries?: { key: string | number | boolean; value: HomeNode }[]; ref?: true }
  | { type: 'function'; chunk?: string; line?: number; native?: string };

export interface RunOptions {
  /** Name used in error messages (`chunk:line: message`). Default `main`. */
  chunkName?: string;
  /** Bound on this run's total work. */
  fuelLimit?: number;
}

export interface RunStatus {
  state: 'running' | 'paused' | 'waiting' | 'finished' | 'error' | 'stopped';
  slices: number;
  fuel: number;
  elapsedMs: number;
}

export interface InteropStats {
  /** Lua values the page holds by handle (LuaFunction, LuaTable). */
  handles: number;
  /** JS objects Lua holds by reference. */
  lent: number;
  /** Promises a JS API returned to Lua that no task has waited on yet (0 between tasks). */
  promises: number;
}

export class Lua {
  static open(options: OpenOptions & { worker: true }): Promise<WorkerLua>;
  static open(options?: OpenOptions): Promise<Lua>;
  onOutput: ((text: string) => void) | null;
  onStatus: ((status: RunStatus) => void) | null;
  readonly running: boolean;
  readonly paused: boolean;
  onWarning: ((message: string) => void) | null;
  readonly warnings: string[];
  readonly home: HomeInfo;
  run(source: string, options?: RunOptions): Promise<LuaValue[]>;
  /** Exposes a JS function to Lua; a returned Promise suspends the calling Lua code. */
  register(name: string, fn: (...args: any[]) => any): void;
  /** Writes every `_home` change; resolves once the transaction committed. */
  save(): Promise<void>;
  /** Saves, then folds the log into a new snapshot generation. */
  compactHome(): Promise<void>;
  exportHome(): Promise<Uint8Array>;
  /** Replaces `_home` with an export, after checking it completely. */
  importHome(bytes: Uint8Array): Promise<void>;
  /** `_home` as a JSON tree; in worker mode a Promise of it (`await` works for both). */
  homeSnapshot(): HomeNode | Promise<HomeNode>;
  /** Turns the `Memory` alias on or off; in worker mode a Promise that settles when done. */
  setMemoryAliasEnabled(enabled: boolean): void | Promise<void>;
  stop(): void;
  pause(): void;
  resume(): void;
  /** With `countAsserts`: how many `assert` calls have passed (page mode only). */
  readonly assertsPassed: number;
  /** Stops, runs the `__gc` of objects still marked for finalization (as `lua_close`, at most `syncFuelLimit` instructions), saves and frees the state. */
  close(): Promise<void>;
  /** Reads a global or dotted path (`'config.window.width'`). */
  get<T = LuaValue>(path: string, options?: RefOptions): T;
  /** Sets a global or dotted path; functions and `LuaFunction`/`LuaTable` objects work both ways. */
  set(path: string, value: unknown, options?: RefOptions): void;
  /** Provides a module to `require`. */
  addModule(name: string, source: ModuleSource): void;
  /** Creates or replaces a file of the in-memory file system (`io.open`, `dofile`, `loadfile`, `require`). */
  mountFile(path: string, contents: string | Uint8Array | ArrayBuffer): void;
  /** A file of the in-memory file system (also one Lua wrote). */
  readFile(path: string): Uint8Array | undefined;
  unmountFile(path: string): boolean;
  interopStats(): InteropStats;
}

/** `Lua.open({ worker: true })`: the same API, asynchronous where the state answers. */
export interface WorkerLua extends Omit<Lua, 'get' | 'set' | 'mountFile' | 'readFile' | 'unmountFile' | 'interopStats' | 'homeSnapshot' | 'setMemoryAliasEnabled'> {
  /** Copies only: `{ byRef: true }` is refused (nothing by reference crosses the worker boundary). Functions come back as LuaFunction whose `callSync` throws. */
  get<T = LuaValue>(path: string, options?: RefOptions): Promise<T>;
  set(path: string, value: unknown, options?: RefOptions): Promise<void>;
  mountFile(path: string, contents: string | Uint8Array | ArrayBuffer): Promise<void>;
  readFile(path: string): Promise<Uint8Array | undefined>;
  unmountFile(path: string): Promise<boolean>;
  interopStats(): Promise<InteropStats>;
  homeSnapshot(): Promise<HomeNode>;
  setMemoryAliasEnabled(enabled: boolean): Promise<void>;
}
