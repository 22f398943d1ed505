/**
 * The transparent streaming proxy as a node handler: every method, path and query string goes to
 * the upstream pool; status, headers (minus hop-by-hop) and body come back unchanged. Bodies
 * stream both ways and are never buffered or parsed, so gzip and a 200 MB _bulk pass untouched
 * with flat memory. Also forwards a body that had to be read (a search, to look inside it) with
 * its exact original bytes, or a rewritten body without the original's length and encoding, or
 * one read ahead while the ingest decided (kept by body.ts).
 *
 * Failures before the upstream answered become ES-shaped 502/504; a failure after the response
 * started can only cut the connection, as any proxy must.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestedWaitMs } from '../engine/wait-timeout.js';
import { gunzipSync, inflateSync } from 'node:zlib';
import { forwardRequestHeaders, rawHeader, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { ResponseSink } from '../proxy/stream.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { bodyReadAhead } from './body.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { hasBody, originalUrl } from './request.js';

/** A handler on the plain node objects. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Headers that describe the client's body bytes, which a rewritten body no longer has. */
const BODY_BYTES = new Set(['content-length', 'content-encoding']);

/** `upstreamProduct`: our 502/504 then carry the engine's product headers, as its own answers do. */
export function proxyHandler(pool: UpstreamPool, deps: ErrorDeps, upstreamProduct?: UpstreamProduct): NodeHandler {
  return (req, res) => {
    const ahead = bodyReadAhead(req);
    if (ahead) {
      forwardReadAhead(pool, req, res, ahead).catch((err) => {
        if (!res.destroyed) sendError(res, err, deps, esProduct(upstreamProduct));
      });
      return;
    }
    const path = originalUrl(req);
    pool.forward({ method: req.method!, path, headers: forwardRequestHeaders(req.rawHeaders), body: hasBody(req) ? req : null, waitsMs: requestedWaitMs(path) }, res).catch((err) => {
      // the client went away: nobody to answer (req.destroyed alone is no sign: Node destroys a
      // request once its body is read)
      if (res.destroyed) return;
      sendError(res, err, deps, esProduct(upstreamProduct));
    });
  };
}

/**
 * The client's request with `body` to the engine, its answer streamed into `sink`. `rewritten`: the
 * body is not the client's (its length and encoding headers no longer apply); `path`: in place of
 * the client's (`search_pipeline=_none` added, search/search-defaults.ts).
 */
function forwardInto(pool: UpstreamPool, req: IncomingMessage, sink: ResponseSink, body: Buffer, rewritten: boolean, path: string): Promise<void> {
  const headers = forwardRequestHeaders(req.rawHeaders);
  return pool.forward({ method: req.method!, path, headers: rewritten ? withoutHeaders(headers, BODY_BYTES) : headers, body: body.length ? body : null, waitsMs: requestedWaitMs(path) }, sink);
}

/** forwardInto the client's own response. */
export function forwardBuffered(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten = false, path = originalUrl(req)): Promise<void> {
  return forwardInto(pool, req, res, body, rewritten, path);
}

/**
 * A body an earlier handler read ahead (body.ts `readBodyAhead`: a single-document write while an
 * alias lookup ran), forwarded as received. A body cut short goes nowhere (the engine stores nothing
 * of a cut body). The client gone by now (it sent the whole request and hung up): the request still
 * goes upstream and the answer is dropped — sent directly, the engine stores the document.
 */
async function forwardReadAhead(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, ahead: Promise<Buffer>): Promise<void> {
  let body: Buffer;
  try {
    body = await ahead;
  } catch (e) {
    if (res.destroyed) return; // cut short: the client is gone, nothing to forward or answer
    throw e;
  }
  if (!res.destroyed) return forwardBuffered(pool, req, res, body);
  const up = await pool.request({ method: req.method!, path: originalUrl(req), headers: forwardRequestHeaders(req.rawHeaders), body: body.length ? body : null, idempotent: false });
  await up.body.dump();
}

/**
 * forwardBuffered, with a 400 held back: `claim` reads it (its bytes, content-encoding undone) and,
 * when it returns a value, the answer is not written — the caller answers in its place (a search
 * the engine refused for a default search pipeline that is vlrerank's: search/search-defaults.ts).
 * Any other status streams as forwardBuffered's; a 400 not claimed is written as the engine sent it.
 */
export async function forwardClaiming<T>(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten: boolean, claim: (body: Buffer) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
  const sink = new Held400(res);
  await forwardInto(pool, req, sink, body, rewritten, originalUrl(req));
  const held = sink.held;
  if (!held) return undefined;
  const bytes = await sink.ended;
  if (bytes === undefined) return undefined; // cut short: the client's connection was destroyed
  let got: T | undefined;
  try {
    const coding = rawHeader(held.headers, 'content-encoding')?.trim().toLowerCase();
    got = await claim(coding === 'gzip' ? gunzipSync(bytes) : coding === 'deflate' ? inflateSync(bytes) : bytes);
  } catch {
    got = undefined; // not what it says it is: the engine's answer as sent
  }
  if (got !== undefined) return got;
  res.writeHead(held.status, held.headers);
  res.end(bytes);
  return undefined;
}

/**
 * forwardBuffered, whose answer is also looked through, as it streams past, for `needle` (a 200's
 * bytes sent without a content-encoding; nothing held back, nothing parsed): true when it was seen.
 * An `_msearch` forwarded untouched answers 200 whatever its items' errors (search/search-defaults.ts).
 */
export async function forwardWatching(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten: boolean, needle: Buffer, path = originalUrl(req)): Promise<boolean> {
  const sink = new Watched(res, needle);
  await forwardInto(pool, req, sink, body, rewritten, path);
  return sink.seen;
}

/** A response sink that is the client's response itself: each of the two below changes only what it must. */
class ThroughSink implements ResponseSink {
  constructor(protected readonly res: ServerResponse) {}
  get sendDate(): boolean {
    return this.res.sendDate;
  }
  set sendDate(v: boolean) {
    this.res.sendDate = v;
  }
  get destroyed(): boolean {
    return this.res.destroyed;
  }
  get writableFinished(): boolean {
    return this.res.writableFinished;
  }
  writeHead(status: number, headers: string[]): unknown {
    return this.res.writeHead(status, headers);
  }
  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }
  end(): unknown {
    return this.res.end();
  }
  destroy(err?: Error): unknown {
    return this.res.destroy(err);
  }
  once(event: 'drain' | 'close', fn: () => void): unknown {
    return this.res.once(event, fn);
  }
  on(event: 'close', fn: (this: ResponseSink) => void): unknown {
    return this.res.on(event, () => fn.call(this));
  }
}

/** A response sink that writes through, looking for a needle in a 200 without content-encoding (across chunk edges). */
class Watched extends ThroughSink {
  seen = false;
  readonly #needle: Buffer;
  #look = false;
  #tail: Buffer = Buffer.alloc(0);

  constructor(res: ServerResponse, needle: Buffer) {
    super(res);
    this.#needle = needle;
  }
  override writeHead(status: number, headers: string[]): unknown {
    this.#look = status === 200 && rawHeader(headers, 'content-encoding') === undefined;
    return super.writeHead(status, headers);
  }
  override write(chunk: Buffer): boolean {
    if (this.#look && !this.seen) {
      const edge = this.#tail.length ? Buffer.concat([this.#tail, chunk.subarray(0, this.#needle.length - 1)]) : undefined;
      this.seen = (edge !== undefined && edge.includes(this.#needle)) || chunk.includes(this.#needle);
      const keep = this.#needle.length - 1;
      this.#tail = Buffer.from(chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([this.#tail, chunk]).subarray(-keep));
    }
    return super.write(chunk);
  }
}

/** A response sink that writes through unless the status is 400, which it keeps (Held400.ended: its bytes). */
class Held400 extends ThroughSink {
  held: { status: number; headers: string[] } | undefined;
  readonly #chunks: Buffer[] = [];
  #done!: (b: Buffer | undefined) => void;
  readonly ended = new Promise<Buffer | undefined>((r) => (this.#done = r));

  override get writableFinished(): boolean {
    return this.held ? false : super.writableFinished;
  }
  override writeHead(status: number, headers: string[]): unknown {
    if (status === 400) {
      this.held = { status, headers };
      return this;
    }
    return super.writeHead(status, headers);
  }
  override write(chunk: Buffer): boolean {
    if (!this.held) return super.write(chunk);
    this.#chunks.push(chunk);
    return true;
  }
  override end(): unknown {
    if (!this.held) return super.end();
    this.#done(Buffer.concat(this.#chunks));
    return this;
  }
  override destroy(err?: Error): unknown {
    this.#done(undefined);
    return super.destroy(err);
  }
}
