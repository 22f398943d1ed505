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
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { vlrError, type VlrerankError } from '../errors.js';

/** Descriptors held back for answering connections past the cap: 1/16 of it, at least 4, at most 32 (bounded: a flood spends no more). */
export function connectionReserve(cap: number): number {
  return Math.min(32, Math.max(4, Math.ceil(cap / 16)));
}

export class ConnectionCap {
  readonly reserve: number;
  #admitted = 0;
  readonly #held = new WeakSet<Socket>();

  /** `cap` connections served at once; `onOver` told of each connection answered 503 (`answered`) or closed at the door (`dropped`). */
  constructor(
    readonly cap: number,
    private readonly onOver: (how: 'answered' | 'dropped') => void = () => undefined,
  ) {
    this.reserve = connectionReserve(cap);
  }

  /** Count `server`'s connections; Node closes those past cap + reserve. */
  attach(server: Server): void {
    server.maxConnections = this.cap + this.reserve;
    server.on('drop', () => this.onOver('dropped'));
    server.on('connection', (socket: Socket) => {
      if (this.#admitted < this.cap) this.#admit(socket);
      else this.#held.add(socket);
    });
  }

  #admit(socket: Socket): void {
    this.#admitted++;
    socket.once('close', () => this.#admitted--);
  }

  /** The 503 for a request on a held-back socket (a slot freed since admits it instead), or undefined: serve it. */
  refusal(req: IncomingMessage): VlrerankError | undefined {
    const socket = req.socket;
    if (!this.#held.has(socket)) return undefined;
    this.#held.delete(socket);
    if (this.#admitted < this.cap) {
      this.#admit(socket);
      return undefined;
    }
    this.onOver('answered');
    return vlrError('VLR_OVERLOADED', `too many client connections: ${this.cap} are open (server.maxConnections); this one is closed after this answer: retry later, or raise the limit (server.maxConnections, ulimit -n) or add replicas`, {
      status: 503,
      details: { retry_after_s: 1, shed_reason: 'connections', max_connections: this.cap },
    });
  }
}
