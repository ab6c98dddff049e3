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

/** A value returned from Lua: nil is null, sequences are arrays, other tables plain objects. */
export type LuaValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | LuaValue[]
  | { [key: string]: LuaValue };

export interface OpenOptions {
  /** Target duration of one slice in milliseconds (default 4). */
  sliceMs?: number;
  /** Bound on the total work (fuel, about one unit per VM instruction) of each run. */
  fuelLimit?: number;
  /** Bytes the Lua heap may use. */
  memoryLimit?: number;
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
  /** The Lua core: `piccolo` (default) or `luahome` (the project's own compiler and interpreter). */
  engine?: 'piccolo' | 'luahome';
  /** Receives warnings (also those raised while opening). */
  onWarning?: (message: string) => void;
  /** Where `luahome_bg.wasm` is (relative URLs resolve against the page). Default: next to `luahome.js`. */
  wasmUrl?: string | URL;
  /** An already compiled `luahome_bg.wasm`; nothing is fetched then. */
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

export class Lua {
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
  close(): Promise<void>;
}
