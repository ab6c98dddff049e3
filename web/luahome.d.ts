/** An error raised by Lua or by the runtime around it. */
export class LuaError extends Error {
  readonly name: 'LuaError';
  /** What ended the chunk. */
  readonly kind: 'syntax' | 'runtime' | 'stopped' | 'fuel' | 'memory' | 'internal' | 'busy';
  /** The chunk name, when known. */
  readonly chunk: string | null;
  /** The 1-based line, when known. */
  readonly line: number | null;
  readonly traceback: string | null;
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
}

export interface HomeInfo {
  name: string;
  backend: 'indexeddb' | 'memory';
  /** Sequence number of the last log record this state has seen. */
  seq: number;
  logLength?: number;
  lastSaveMs?: number | null;
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
  homeSnapshot(): HomeNode;
  setMemoryAliasEnabled(enabled: boolean): void;
  stop(): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
