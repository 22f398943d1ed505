/**
 * Client connections past `server.maxConnections` get an answer, not a reset (fix19b; held-out
 * probe round 18a left it). Node's own `server.maxConnections` closes the accepted socket before a
 * byte is written (net.Server `onconnection`: `clientHandle.close()`, then `drop`): the client sees
 * `ECONNRESET` / undici's `UND_ERR_SOCKET`, which no client retries as an overload and no operator
 * reads as one. Now the sockets are counted here: up to `cap` are served; the next `reserve` are
 * kept — descriptors held back for exactly this — only long enough to answer their request with a
 * 503 `VLR_OVERLOADED` (`Retry-After`, `Connection: close`), then closed; past `cap + reserve` Node
 * still closes them at the door (its `maxConnections`), so a flood cannot spend the descriptors the
 * admitted requests need. A held-back socket whose request comes when an admitted one has closed is
 * admitted then and served.
 *
 * Slowloris (fix20a; held-out probe round 19c left it): connections that send half a request head,
 * or nothing, held every place until `server.headersTimeoutMs` (30 s) — 8 of them behind a cap of 8
 * made every new client a 503, 12 made it a reset, a kubelet's liveness probe included. Now a new
 * connection at the cap makes room: the admitted connection that has waited longest **without a
 * complete request head since it was accepted** (idle, or a half-sent head) is answered Node's own
 * `408 Request Timeout` (as at `headersTimeout`) and closed; only when there is none, the keep-alive
 * connection idle longest **between requests** is closed without a word (as Node does at
 * `keepAliveTimeout`; a half-sent next head on it is not told apart). A connection whose request
 * is being served is never closed for room: when every admitted one is, the new one waits in the
 * reserve as before — and the reserve sheds its own longest-waiting socket (408) when it is about
 * to fill, so the door stays open while the bound on descriptors (cap + reserve) is kept.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { vlrError, type VlrerankError } from '../errors.js';

/** Descriptors held back for answering connections past the cap: 1/16 of it, at least 4, at most 32 (bounded: a flood spends no more). */
export function connectionReserve(cap: number): number {
  return Math.min(32, Math.max(4, Math.ceil(cap / 16)));
}

/**
 * Why a connection was closed to make room for a new one: `no_request` admitted and still without a
 * complete request head (408); `between_requests` a keep-alive connection idle after its answer
 * (closed silently); `reserve` held past the cap without a request head (408).
 */
export type ShedKind = 'no_request' | 'between_requests' | 'reserve';
export const SHED_KINDS: readonly ShedKind[] = ['no_request', 'between_requests', 'reserve'];

export interface ConnectionCapEvents {
  /** A connection past the cap answered 503 (`answered`) or closed at the door (`dropped`). */
  over?(how: 'answered' | 'dropped'): void;
  /** A connection closed to make room, and how long it had waited (ms). */
  shed?(kind: ShedKind, waitedMs: number): void;
}

/** The error a connection shed for want of a complete request head is told of (http/access-log.ts answers it 408). */
export const SHED_CODE = 'VLR_CONNECTION_SHED';

export class ConnectionCap {
  readonly reserve: number;
  /** Admitted sockets → requests being served on it. */
  readonly #admitted = new Map<Socket, number>();
  /** Admitted, no complete request head since accepted: in arrival order (the first waited longest), with when. */
  readonly #fresh = new Map<Socket, number>();
  /** Admitted keep-alive sockets between requests: in the order they went idle, with when. */
  readonly #between = new Map<Socket, number>();
  /** Past the cap, waiting for their request head (answered 503 then), in arrival order, with when. */
  readonly #held = new Map<Socket, number>();
  #server: Server | undefined;

  /** `cap` connections served at once; `events` told of each connection answered 503, closed at the door, or shed to make room. */
  constructor(
    readonly cap: number,
    private readonly events: ConnectionCapEvents = {},
  ) {
    this.reserve = connectionReserve(cap);
  }

  /** Count `server`'s connections; Node closes those past cap + reserve. */
  attach(server: Server): void {
    this.#server = server;
    server.maxConnections = this.cap + this.reserve;
    server.on('drop', () => this.events.over?.('dropped'));
    server.on('connection', (socket: Socket) => this.#arrived(socket));
    // before the handler (it asks refusal()): a request's head is complete, its socket is busy until its answer ends
    const busy = (req: IncomingMessage, res: ServerResponse) => this.#request(req.socket, res);
    server.prependListener('request', busy);
    server.prependListener('checkContinue', busy);
  }

  #arrived(socket: Socket): void {
    const now = performance.now();
    socket.once('close', () => this.#gone(socket));
    if (this.#admitted.size >= this.cap) this.#makeRoom(now);
    if (this.#admitted.size < this.cap) return this.#admit(socket, now);
    // every admitted connection is serving a request: this one waits in the reserve, which keeps a place free
    if (this.#held.size + 1 >= this.reserve) {
      const [oldest, since] = this.#held.entries().next().value ?? [];
      if (oldest) this.#shed(oldest, 'reserve', now - since!);
    }
    this.#held.set(socket, now);
  }

  #admit(socket: Socket, now: number): void {
    this.#admitted.set(socket, 0);
    this.#fresh.set(socket, now);
  }

  /** Close the admitted connection waiting longest without a request head, else the one idle longest between requests. */
  #makeRoom(now: number): void {
    for (const [waiting, kind] of [[this.#fresh, 'no_request'], [this.#between, 'between_requests']] as const) {
      const first = waiting.entries().next().value;
      if (first) return this.#shed(first[0], kind, now - first[1]);
    }
  }

  #shed(socket: Socket, kind: ShedKind, waitedMs: number): void {
    this.#gone(socket);
    this.events.shed?.(kind, Math.round(waitedMs));
    if (kind === 'between_requests') return void socket.destroy(); // as Node at keepAliveTimeout: nothing is owed
    // Node's own answer at headersTimeout (the server's clientError listener writes it and logs the line)
    const err = Object.assign(new Error(`connection closed to make room for a new one (server.maxConnections ${this.cap}): no complete request head after ${Math.round(waitedMs)} ms`), { code: SHED_CODE });
    if (!this.#server?.emit('clientError', err, socket)) {
      if (socket.writable) socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      socket.destroy();
    }
  }

  #gone(socket: Socket): void {
    this.#admitted.delete(socket);
    this.#fresh.delete(socket);
    this.#between.delete(socket);
    this.#held.delete(socket);
  }

  #request(socket: Socket, res: ServerResponse): void {
    const held = this.#held.get(socket);
    if (held !== undefined && this.#admitted.size < this.cap) {
      // a slot freed since it came: admitted now and served
      this.#held.delete(socket);
      this.#admit(socket, held);
    }
    const serving = this.#admitted.get(socket);
    if (serving === undefined) return; // held: refusal() answers it 503
    this.#admitted.set(socket, serving + 1);
    this.#fresh.delete(socket);
    this.#between.delete(socket);
    res.on('close', this.#served); // a response closes once: no once() wrapper
  }

  /**
   * A response's `close` (as `this`): its request no longer keeps its socket busy. One function for
   * every response, its socket read from the request (issue 13: a closure per request was a
   * passthrough cost).
   */
  readonly #served = ((cap: ConnectionCap) =>
    function (this: ServerResponse) {
      cap.#release(this.req.socket);
    })(this);

  #release(socket: Socket): void {
    const n = this.#admitted.get(socket);
    if (n === undefined) return; // closed meanwhile
    this.#admitted.set(socket, n - 1);
    if (n === 1 && !socket.destroyed) this.#between.set(socket, performance.now());
  }

  /** The 503 for a request on a held-back socket, or undefined: serve it. */
  refusal(req: IncomingMessage): VlrerankError | undefined {
    const socket = req.socket;
    if (!this.#held.has(socket)) return undefined;
    this.#held.delete(socket);
    this.events.over?.('answered');
    return vlrError('VLR_OVERLOADED', `too many client connections: ${this.cap} are open (server.maxConnections); this one is closed after this answer: retry later, or raise the limit (server.maxConnections, ulimit -n) or add replicas`, {
      status: 503,
      details: { retry_after_s: 1, shed_reason: 'connections', max_connections: this.cap },
    });
  }
}
