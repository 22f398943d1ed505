/**
 * An engine or gateway that answers a request before reading its body (an authenticating proxy's
 * 401/403, an engine's 413 past its `http.max_content_length`) sends its answer and closes the
 * connection, which resets it while vlrerank is still uploading. undici reads such an early
 * answer ("response completed before request") when it reads it before its next body write; a
 * streamed body (passthrough, `_bulk` ingest) writes again at once, the write fails with EPIPE (or
 * ECONNRESET) synchronously, the socket is destroyed with the answer unread in it, and the client
 * got a 502 `write EPIPE` for a refusal (held-out probe round 13a; node issues #12339, #54366).
 *
 * The fix here, in the socket undici writes to: a write that fails because the peer is gone holds
 * its error until the socket's read side has given what the peer sent — undici then reads the
 * answer and completes the request (it destroys the socket itself), or finds none and fails it
 * with the read side's error (`other side closed`, ECONNRESET). The held write keeps undici from
 * pulling more of the body meanwhile. Nothing is sent twice: the write side is dead either way.
 */
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { buildConnector } from 'undici';

/** Write errors that mean the peer closed or reset the connection (it may have answered first). */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET']);
/** After this, a held write error is released even if the read side is still open. */
const HOLD_MS = 10_000;

type WriteCb = (err?: Error | null) => void;

function holding(socket: Socket, cb: WriteCb): WriteCb {
  return (err) => {
    if (!err || socket.destroyed || !PEER_GONE.has((err as NodeJS.ErrnoException).code ?? '')) return cb(err);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      cb(err);
    };
    const timer = setTimeout(release, HOLD_MS);
    timer.unref();
    socket.once('close', release);
  };
}

/** Let the socket's read side deliver an early answer before a failed write destroys it. */
export function keepEarlyAnswers(socket: Socket): Socket {
  const s = socket as unknown as {
    _write: (chunk: unknown, enc: BufferEncoding, cb: WriteCb) => void;
    _writev?: (chunks: unknown, cb: WriteCb) => void;
  };
  const write = s._write;
  s._write = (chunk, enc, cb) => write.call(socket, chunk, enc, holding(socket, cb));
  const writev = s._writev;
  if (writev) s._writev = (chunks, cb) => writev.call(socket, chunks, holding(socket, cb));
  return socket;
}

/** undici's connector (the one a Pool builds from its options) whose sockets keep early answers. */
export function earlyAnswerConnector(opts: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(opts);
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err) callback(err, null);
      else callback(null, keepEarlyAnswers(socket as Socket));
    });
}

/**
 * A client's body stream as undici's request body. An answer complete before the body was sent
 * makes undici destroy its body without an error (and, for node's IncomingMessage, without its
 * socket): the client's connection was left paused behind the unread rest of its upload, and the
 * next request on it hung (a keep-alive client's next `_bulk`: its time-out). Here that rest is
 * drained instead (read and discarded as node does for a body nobody read), so the connection
 * carries the next request; a destroy with an error still destroys the client's stream.
 */
export class DrainedAfterAnswer extends Readable {
  readonly #source: Readable;
  readonly #onData = (chunk: Buffer) => {
    if (!this.push(chunk)) this.#source.pause();
  };
  readonly #onEnd = () => this.push(null);
  readonly #onError = (e: Error) => this.destroy(e);
  // a client stream closed before its end without an error: a cut body, as undici took it directly
  readonly #onClose = () => {
    if (!this.#source.readableEnded) this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  };
  #started = false;

  constructor(source: Readable) {
    super();
    this.#source = source;
  }

  override _read(): void {
    if (!this.#started) {
      this.#started = true;
      this.#source.on('data', this.#onData).once('end', this.#onEnd).once('error', this.#onError).once('close', this.#onClose);
    }
    this.#source.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const s = this.#source;
    s.off('data', this.#onData).off('end', this.#onEnd).off('close', this.#onClose);
    if (err) {
      // destroyed as undici destroys a body it was given (its util.destroy): a client's request
      // without its socket — destroying that socket would cut the connection the answer goes out on
      // — and the source's 'error' heard: with no listener it was an uncaught exception (undici
      // aborting a cut `_bulk`, a refused connection: caught by the fresh-clone CI)
      if (s.listenerCount('error') === 0) s.once('error', () => {});
      if (s instanceof IncomingMessage) (s as { socket: unknown }).socket = null;
      s.destroy(err);
    } else if (!s.readableEnded) s.resume(); // no 'data' listener left: the rest is discarded
    cb(err);
  }
}
