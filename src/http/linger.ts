/**
 * Answer, then close — gracefully — a connection whose request body vlrerank refused unread (413,
 * 415 before the body, an oversized `Expect: 100-continue`). Closing at once would reset the
 * connection while the client is still sending, and a client that gets a reset before it reads
 * the answer sees EPIPE/ECONNRESET instead of the 413 (issue 13). So, as nginx's lingering_close
 * does: send the answer with `Connection: close`, half-close (FIN), keep reading and discarding
 * what the client still sends for at most LINGER_MS, then destroy the socket.
 *
 * Node closes a `Connection: close` response's socket with `socket.destroySoon()` once the answer
 * is written; this replaces that one socket's destroySoon with the lingering close. Never reads
 * what it discards, never keeps a socket past LINGER_MS.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const LINGER_MS = 2_000;

function lingeringClose(this: Socket): void {
  if (this.destroyed) return;
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
  this.once('end', () => this.destroy()); // the client closed its side: nothing more to drain
  this.end();
  this.resume();
}

/** Mark `res` to close its connection after the answer, lingering (call before the answer is written). */
export function closeAfterAnswer(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (socket && !socket.destroyed) socket.destroySoon = lingeringClose;
}
