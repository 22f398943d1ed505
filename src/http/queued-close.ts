/**
 * Responses still queued behind an earlier one of their connection (HTTP/1.1 pipelining) are closed
 * with it. Node emits `close` on the response that holds the socket when the connection closes, but
 * never on the ones queued behind it (they get the socket only when the one before finishes, which a
 * closed connection never lets happen). Everything in vlrerank that notices a client leaving listens
 * for that `close`: the in-flight gauge and access line (access-log.ts), the abort of a rerank's work
 * (request.ts `clientSignal`) and of a passthrough forward (proxy/stream.ts) — so each pipelined
 * request of a client that left stayed in flight for good, and a passthrough answer above the
 * response's buffer (16 KB) held its upstream connection forever, waiting for a `drain` that never
 * came (held-out probe round 24a). The engines drop such requests with their connection.
 *
 * One set per socket and one shared listener (no closure per request: issue 13, passthrough cost);
 * never touches a response Node closes itself (the one holding the socket, one that finished).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const kOpen = Symbol('vlrerank.openResponses');
type Tracked = Socket & { [kOpen]?: Set<ServerResponse> };

/** A response's own `close` (as `this`): Node closed it, nothing left to do for it here. */
function closed(this: ServerResponse): void {
  (this.req.socket as Tracked)[kOpen]?.delete(this);
}

/** The connection's `close` (as `this`): after Node's own listeners, close the responses it left queued. */
function connectionClosed(this: Tracked): void {
  const open = this[kOpen];
  if (!open?.size) return;
  // a tick later: Node closes the response holding the socket from its own `close` listener, and
  // one that just finished on the next tick (resOnFinish)
  process.nextTick(closeQueued, open);
}

function closeQueued(open: Set<ServerResponse>): void {
  for (const res of open) {
    open.delete(res);
    if (res.socket || res.writableFinished) continue; // Node's to close
    res.destroy(); // writes after this are dropped (ERR_STREAM_DESTROYED), `destroyed` tells handlers the client left
    res.emit('close');
  }
}

/** Track `res` so that it is closed if its connection closes while it waits behind another response (a passthrough request pays one property read). */
export function closeWithConnection(req: IncomingMessage, res: ServerResponse): void {
  // holding the socket already (every request that is not pipelined behind another): Node closes it
  if (res.socket) return;
  const socket = req.socket as Tracked;
  let open = socket[kOpen];
  if (open === undefined) {
    open = socket[kOpen] = new Set();
    socket.once('close', connectionClosed);
    // closed before its request reached the handler: no `close` event is coming
    if (socket.destroyed && socket.closed) process.nextTick(closeQueued, open);
  }
  open.add(res);
  res.on('close', closed); // a response closes once: no once() wrapper
}
