/**
 * A request body that trickles (R.U.D.Y., round fix20a's leftover): once its head is complete a
 * request counts as being served — never shed for room (connection-cap.ts) — and Node bounds it by
 * `server.requestTimeoutMs` only (300 s, generous for passthrough uploads). A client sending a byte
 * now and then, or nothing after its head, held its connection (and an upstream connection, for a
 * passthrough upload) that long.
 *
 * `server.bodyIdleTimeoutMs` bounds the gap between two bytes of a body instead, as nginx's
 * `client_body_timeout` does (60 s too): a body from which nothing arrives for that long while
 * vlrerank would take more is answered **408** in the API's shape (ES-shaped, the rerank APIs'
 * own on theirs) with `Connection: close`, and the connection is closed (lingering: the client reads
 * the answer). What is counted as waiting on the client: the socket has read no byte since the last
 * look *and* the request's buffer has room (below its high-water mark). A body vlrerank does not
 * take fast enough — an engine slow to read a passthrough `_bulk` — fills that buffer and pauses
 * the socket: that is vlrerank's wait, not the client's, and never times out here. A large body
 * at any pace that keeps bytes coming is never cut.
 *
 * One sweep for all requests (no timer or listener per request: the passthrough hot path pays a
 * Set insertion), every quarter of the time-out (50 ms to 1 s), running only while some body is
 * under way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { vlrError } from '../errors.js';
import { closeAfterAnswer } from './linger.js';

interface Watched {
  req: IncomingMessage;
  res: ServerResponse;
  bytes: number;
  since: number;
}

/** Requests answered 408 for a body gone idle: whatever their handler says later is not sent. */
const idled = new WeakSet<IncomingMessage>();

/** The watch list a request is in: its body's end takes it out at once (see `watch`). */
const LIST = Symbol('vlrerank.bodyIdleList');
type Listed = IncomingMessage & { [LIST]?: Map<IncomingMessage, Watched> };
/** One listener for every request (no closure per request): a body read to its end is no longer watched. */
function unlist(this: Listed): void {
  this[LIST]?.delete(this);
}

/** Was this request answered 408 because its body stopped coming? (its handler's own error is then dropped) */
export function bodyIdled(req: IncomingMessage | undefined): boolean {
  return !!req && idled.has(req);
}

export class BodyIdleWatch {
  readonly #watched = new Map<IncomingMessage, Watched>();
  #timer: NodeJS.Timeout | undefined;
  readonly #everyMs: number;

  /** `answer`: sends the 408 in the shape of the API asked (the caller knows the routes). */
  constructor(
    private readonly idleMs: number,
    private readonly answer: (req: IncomingMessage, res: ServerResponse, err: Error) => void,
  ) {
    this.#everyMs = Math.min(1_000, Math.max(50, Math.floor(idleMs / 4)));
  }

  /** Watch this request's body until it is complete (nothing to do for a request without one). */
  watch(req: IncomingMessage, res: ServerResponse): void {
    if (req.complete) return;
    // taken out when its body ends, not at the next sweep: a list holding every request of the last
    // second kept their objects alive past the young generation — a passthrough search cost ~1.4×
    // the CPU with the watch on (canned bench, measured at the fix21a merge)
    this.#watched.set(req, { req, res, bytes: req.socket.bytesRead, since: performance.now() });
    (req as Listed)[LIST] = this.#watched;
    req.on('end', unlist);
    this.#timer ??= setInterval(() => this.#sweep(), this.#everyMs).unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const w of this.#watched.values()) {
      const { req, res } = w;
      if (req.complete || req.destroyed || res.destroyed) {
        this.#watched.delete(req);
        continue;
      }
      const bytes = req.socket.bytesRead;
      // bytes came, or vlrerank is not taking them (the buffer full, the socket paused): not the client's wait
      if (bytes !== w.bytes || req.readableLength >= req.readableHighWaterMark) {
        w.bytes = bytes;
        w.since = now;
        continue;
      }
      // a pipelined request's answer waits for the earlier ones (no socket yet): answered in its turn
      if (now - w.since < this.idleMs || !res.socket) continue;
      this.#watched.delete(req);
      this.#idle(req, res, Math.round(now - w.since));
    }
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #idle(req: IncomingMessage, res: ServerResponse, ms: number): void {
    if (res.headersSent) {
      idled.add(req);
      // the answer came before the body (an engine answering early): the rest of the body is not wanted
      if (res.writableFinished) req.socket.destroy();
      return;
    }
    closeAfterAnswer(res);
    const err = vlrError('VLR_BODY_TIMEOUT', `no byte of the request body came for ${ms} ms (server.bodyIdleTimeoutMs: ${this.idleMs}); the connection is closed`, { details: { body_idle_timeout_ms: this.idleMs } });
    this.answer(req, res, err);
    // from now on the handler still reading the body answers nothing
    idled.add(req);
    // Node no longer counts an answered request as the connection's: its close would not end the
    // body. The reader (readBody, or a passthrough's upstream request) is ended here, once the
    // connection is gone (not before: the client reads the 408 first)
    req.socket.once('close', () => {
      if (req.destroyed) return;
      if (req.listenerCount('error') === 0) req.once('error', () => undefined);
      req.destroy(err);
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watched.clear();
  }
}
