/** An error raised by Lua or by the runtime around it. */
export class LuaError extends Error {
  readonly name: 'LuaError';
  /** What ended the chunk. */
  readonly kind: 'syntax' | 'runtime' | 'stopped' | 'fuel' | 'internal' | 'busy';
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
}

export interface RunOptions {
  /** Name used in error messages (`chunk:line: message`). Default `main`. */
  chunkName?: string;
}

export interface RunStatus {
  state: 'running' | 'paused' | 'finished' | 'error' | 'stopped';
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
  run(source: string, options?: RunOptions): Promise<LuaValue[]>;
  stop(): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
