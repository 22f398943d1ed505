/**
 * JSON bodies parsed off the main thread (issue 13 §2: no request can stall the server). One
 * worker thread (json-worker-source.ts), started on the first large body, undoes the content
 * coding, decodes UTF-8, looks for marker words, checks the nesting depth and parses; the value
 * comes back with its long strings cut out, and those come back one piece per turn of the event
 * loop (a string rebuilt from pieces is a rope: joining costs nothing until it is read whole).
 * So the main thread's share of a 31 MiB body is a few small messages, never one long task.
 *
 * Never throws HTTP errors itself: failures come back as a `kind` the caller maps to its own error.
 * A worker that dies fails what it held and the next body starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { JSON_WORKER_SOURCE } from './json-worker-source.js';

export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

export interface OffThreadOptions {
  coding: Coding;
  /** Decompressed size bound (server.maxJsonBodyBytes). */
  maxBytes: number;
  maxDepth: number;
  /** Words looked for in the text (`hasMarker`); parsing happens only when one is there, or `always`. */
  markers?: readonly string[];
  always?: boolean;
  /** Hand the bytes back (transferred) instead of losing them to the worker. */
  giveBack?: boolean;
  /** The caller owns the buffer's whole ArrayBuffer (nothing else views it): transfer, do not copy. */
  owned?: boolean;
}

export type OffThreadResult =
  | { ok: true; hasMarker: boolean; parsed: false; bytes?: Buffer }
  | { ok: true; hasMarker: boolean; parsed: true; value: unknown; bytes?: Buffer }
  | { ok: false; kind: 'too_large' | 'decode' | 'deep' | 'syntax' | 'worker'; message: string; bytes?: Buffer };

type Key = string | number;
interface Reply {
  id: number;
  ok: boolean;
  kind?: 'too_large' | 'decode' | 'deep' | 'syntax';
  message?: string;
  hasMarker?: boolean;
  parsed?: boolean;
  value?: unknown;
  longs?: Array<{ path: Key[]; length: number }>;
  piece?: string;
  bytes?: ArrayBuffer;
}

/** Strings longer than this are not cloned with the value but sent alone, one per turn of the event loop. */
export const CUT_CHARS = 64 * 1024;
/**
 * Characters per message of a string sent alone. A string of one piece arrives flat; a longer one
 * becomes a rope that V8 copies whole (flattens) the first time anything reads it — measured:
 * 150–270 ms for a 31 Mi-character rope on the loaded 2-core machine — so pieces are large enough
 * that ordinary long documents (a 2.6 MiB text) come in one (~8 MB of UTF-16 at most per turn).
 */
export const PIECE_CHARS = 4 * 1024 * 1024;

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

export class JsonWorker {
  #worker: Worker | undefined;
  #next = 1;
  readonly #waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  readonly #piece: number;
  readonly #cut: number;

  constructor(o: { pieceChars?: number; cutChars?: number } = {}) {
    this.#piece = o.pieceChars ?? PIECE_CHARS;
    this.#cut = o.cutChars ?? CUT_CHARS;
  }

  /**
   * Parse `bytes` off the main thread. With `owned`, the buffer's memory is transferred to the
   * worker: do not use `bytes` afterwards — ask `giveBack` for it.
   */
  async parse(bytes: Buffer, o: OffThreadOptions): Promise<OffThreadResult> {
    const id = this.#next++;
    // memory the caller owns whole (body.ts reads into such buffers) is transferred as it is; any
    // other buffer may be a view into memory others use (Node's Buffer pool): it is copied first
    let owned = bytes;
    if (!o.owned || bytes.byteOffset !== 0) {
      owned = Buffer.allocUnsafeSlow(bytes.length); // its own ArrayBuffer (Buffer.from would use the pool)
      bytes.copy(owned);
    }
    const ab = owned.buffer as ArrayBuffer;
    const length = owned.length; // read before the transfer detaches `owned`
    const msg = { op: 'parse', id, bytes: ab, length, coding: o.coding, maxBytes: o.maxBytes, maxDepth: o.maxDepth, markers: o.markers ?? [], always: o.always ?? false, cut: this.#cut, piece: this.#piece, giveBack: o.giveBack ?? false };
    let r: Reply;
    try {
      r = await this.#ask(id, msg, [ab]);
    } catch (e) {
      return { ok: false, kind: 'worker', message: (e as Error).message };
    }
    const back = r.bytes ? { bytes: Buffer.from(r.bytes, 0, length) } : {};
    if (!r.ok) return { ok: false, kind: r.kind ?? 'worker', message: r.message ?? 'the JSON worker failed', ...back };
    if (!r.parsed) return { ok: true, hasMarker: !!r.hasMarker, parsed: false, ...back };
    let value = r.value;
    try {
      for (const long of r.longs ?? []) {
        let s = '';
        for (let got = 0; got < long.length; ) {
          await yieldTurn(); // one piece per turn: health and passthrough get the loop in between
          const p = await this.#ask(id, { op: 'piece', id });
          if (!p.ok || typeof p.piece !== 'string' || p.piece.length === 0) throw new Error(p.message ?? 'the JSON worker lost a piece');
          s += p.piece;
          got += p.piece.length;
        }
        value = setAt(value, long.path, s);
      }
    } catch (e) {
      this.#worker?.postMessage({ op: 'drop', id });
      return { ok: false, kind: 'worker', message: (e as Error).message, ...back };
    }
    return { ok: true, hasMarker: !!r.hasMarker, parsed: true, value, ...back };
  }

  /** Stop the worker (tests; a server lets the unref'd thread end with the process). */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }

  #ask(id: number, msg: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const w = this.#spawned();
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      w.ref(); // a pending answer keeps the process alive; idle, the thread does not
      w.postMessage(msg, transfer);
    });
  }

  #spawned(): Worker {
    if (this.#worker) return this.#worker;
    // execArgv []: plain CommonJS; the parent's loader flags (`--import tsx`) are not wanted here
    const w = new Worker(JSON_WORKER_SOURCE, { eval: true, execArgv: [], name: 'vlrerank-json' });
    w.on('message', (m: Reply) => {
      const waiting = this.#waiting.get(m.id);
      if (!waiting) return;
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0) w.unref();
      waiting.resolve(m);
    });
    const lost = (why: string) => {
      if (this.#worker === w) this.#worker = undefined;
      const all = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const p of all) p.reject(new Error(`the JSON worker ${why}`));
    };
    w.on('error', (e) => lost(`failed: ${e.message}`));
    w.on('exit', (code) => lost(`exited with code ${code}`));
    w.unref();
    this.#worker = w;
    return w;
  }
}

/** `value` with `s` put at `path` (the root itself when the path is empty). */
function setAt(value: unknown, path: Key[], s: string): unknown {
  if (path.length === 0) return s;
  let node = value as Record<Key, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  node[path[path.length - 1]!] = s;
  return value;
}
