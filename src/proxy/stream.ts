/**
 * Streaming between the client and one upstream node, both ways, never buffering a body:
 * - `ForwardHandler`: undici's dispatch handler for the transparent proxy. It writes the status and
 *   headers (minus hop-by-hop) to the client's response and each body chunk as it comes, pausing
 *   the upstream socket while the client is not draining. Built on dispatch rather than
 *   `request()` + a body stream + pipe(): that chain (an AbortController, an async resource, a
 *   Readable, the pipe, the headers parsed three times) cost more CPU than the forwarding itself
 *   (scripts/bench/proxy.ts).
 * - `LazyBody`: a client body stream lent to one attempt, so that a connection refused before
 *   sending leaves the client stream whole for the retry on another node.
 *
 * The response is any writable sink shaped like node's ServerResponse; this room never reads
 * request semantics (that is http/'s).
 */
import { Readable } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { forwardResponseHeaders } from './hop-by-hop.js';

/** What the proxy writes an upstream answer into (node's ServerResponse is one). */
export interface ResponseSink {
  sendDate: boolean;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers: string[]): unknown;
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(err?: Error): unknown;
  once(event: 'drain' | 'close', fn: () => void): unknown;
  on(event: 'close', fn: (this: ResponseSink) => void): unknown;
}

/** The client of one forward, shared by its attempts. */
export interface ClientState {
  /** The client closed its connection before the answer was complete. */
  gone: boolean;
  /** Aborts the attempt in progress (set when undici connects it). */
  abort: ((err: Error) => void) | undefined;
}

const kClient = Symbol('vlrerank.forwardClient');
type Watched = ResponseSink & { [kClient]?: ClientState };

/** The response's `close` (as `this`): one function for every forward, its state on the response (no closure per request, issue 13). */
function clientClosed(this: ResponseSink): void {
  const client = (this as Watched)[kClient];
  if (!client || this.writableFinished) return;
  client.gone = true;
  client.abort?.(new undiciErrors.RequestAbortedError());
}

/** Watch the client's connection: once it closes before the answer is complete, abort the attempt. */
export function watchClient(res: ResponseSink): ClientState {
  const client: ClientState = { gone: false, abort: undefined };
  const r = res as Watched;
  if (r[kClient] === undefined) res.on('close', clientClosed); // a response closes once
  r[kClient] = client;
  return client;
}

export class ForwardHandler implements Dispatcher.DispatchHandler {
  #started = false;
  #resume: (() => void) | undefined;
  readonly #res: ResponseSink;
  readonly #client: ClientState;
  readonly #resolve: () => void;
  readonly #reject: (err: Error) => void;

  constructor(res: ResponseSink, client: ClientState, resolve: () => void, reject: (err: Error) => void) {
    this.#res = res;
    this.#client = client;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#client.gone) abort(new undiciErrors.RequestAbortedError());
    else this.#client.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx: Node's server answered `Expect: 100-continue` itself (the Expect header is not forwarded)
    if (statusCode < 200) return true;
    // names as undici reads them (utf8), values latin1: the bytes the engine sent
    const raw = new Array<string>(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i += 2) {
      raw[i] = rawHeaders[i]!.toString();
      raw[i + 1] = rawHeaders[i + 1]!.toString('latin1');
    }
    this.#res.sendDate = false; // byte for byte: no Date (or other header) of our own
    this.#res.writeHead(statusCode, forwardResponseHeaders(raw));
    this.#started = true;
    this.#resume = resume;
    this.#resolve();
    return true;
  }

  onData(chunk: Buffer): boolean {
    const ok = this.#res.write(chunk);
    if (!ok) this.#res.once('drain', this.#resume!);
    return ok;
  }

  onComplete(): void {
    this.#res.end();
  }

  onError(err: Error): void {
    if (!this.#started) this.#reject(err);
    else if (!this.#res.destroyed) this.#res.destroy(err);
  }
}

/**
 * A stream body lent to one attempt: it starts pulling from the client stream only when undici
 * starts sending, and being destroyed before that leaves the client stream untouched (undici
 * destroys a stream body when the request fails, even if it never read a byte).
 */
export class LazyBody extends Readable {
  started = false;
  constructor(readonly source: Readable) {
    super();
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    this.source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.source.pause();
    });
    this.source.once('end', () => this.push(null));
    this.source.once('error', (e) => this.destroy(e));
    this.source.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.started) this.source.destroy(err ?? undefined);
    cb(err);
  }
}
