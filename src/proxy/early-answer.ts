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
import type { Socket } from 'node:net';
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
