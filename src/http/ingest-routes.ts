/**
 * Writes that may get vectors at ingest — `POST|PUT /_bulk`, `/{index}/_bulk`, `/{index}/_doc[/id]`,
 * `/{index}/_create/{id}`, `POST /{index}/_update/{id}`: asks the ingest room whether it wants the
 * request (else the streaming proxy takes it untouched), hands it the body (as a stream for
 * `_bulk`, read and bounded for one document), and writes the upstream's answer back.
 */
import { pinPipelines } from './pinned.js';
import { pipeline as pipe } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { handleBulk, handleDocument, mayBeAlias, wantsBulk, wantsDocument, wantsDocumentThrough, type IngestDeps, type WriteAnswer, type WriteRequest } from '../ingest/handle.js';
import type { JsonWorker } from '../util/json-worker.js';
import { bodyReadAhead, readBodyAhead, readDocumentBody } from './body.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { vlrError } from '../errors.js';
import { codingsOf, decodingStream, knownCoding } from '../util/content-coding.js';

export interface IngestRouteDeps extends ErrorDeps {
  ingest: IngestDeps;
  maxJsonBodyBytes: number;
  /** Parses documents of SMALL_BODY bytes and more off the main thread (built by the composition root). */
  jsonWorker: JsonWorker;
  /** Is the upstream known to be Elasticsearch? Then our own refusals carry `x-elastic-product`. */
  upstreamProduct?: UpstreamProduct;
}

async function write(res: ServerResponse, a: WriteAnswer): Promise<void> {
  if (res.destroyed) {
    // the client gone: nobody to answer; the upstream's answer is read to its end and dropped
    if (typeof a.body !== 'string') a.body.resume();
    return;
  }
  res.sendDate = false;
  res.writeHead(a.status, a.headers);
  if (typeof a.body === 'string') res.end(a.body);
  else await pipe(a.body, res);
}

/**
 * Bytes of a `_bulk` body read ahead of the ingest that consumes it. The body is read as its
 * documents are embedded (a few at a time): a client that hung up after sending all of it had its
 * FIN wait in the socket behind the unread lines, so every document was still embedded for nobody
 * (held-out probe round 10b: 282 of 300 abstracts after the hang-up). Read ahead, a body of up to
 * this size is off the socket at once, the hang-up closes the response at once, and the ingest's
 * signal stops its model work (queued documents leave the model queues). Larger bodies are noticed
 * once their rest fits. Bounded: at most this much per `_bulk` in flight, beyond what was held before.
 */
export const BULK_READ_AHEAD_BYTES = 8 * 1024 * 1024;

/** The request body through a buffer of `bytes` that is filled as fast as the socket delivers. */
function readAhead(req: IncomingMessage, bytes: number): Readable {
  const ahead = new PassThrough({ highWaterMark: bytes });
  req.on('error', (e) => ahead.destroy(e));
  // a body cut short ends the request without `end`: the reader sees the error, as it saw req's own
  req.on('aborted', () => ahead.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  req.pipe(ahead);
  return ahead;
}

function writeRequest(req: Request, signal?: AbortSignal, bodyCut?: AbortSignal): WriteRequest {
  return { index: req.params.index as string | undefined, method: req.method, path: req.originalUrl, headers: req.rawHeaders, signal, bodyCut };
}

/**
 * A `_bulk` body as NDJSON: a compressed one (the official clients' `compression` option) decoded
 * as it arrives; a body that is not what its coding says fails the write with a 400 (the engine,
 * sent a cut body, stores nothing of it).
 */
export function decodedBulk(req: Pick<Request, 'headers'>, body: Readable): Readable {
  const coding = knownCoding(codingsOf(req.headers['content-encoding'])[0] ?? 'identity') ?? 'identity';
  const unzip = decodingStream(coding);
  if (!unzip) return body;
  // a few KB of gzip can inflate to gigabytes, held while a line waits for its newline: bounded as
  // the engines bound what they decode (`http.max_content_length`, 100 MB by default)
  let decoded = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      decoded += chunk.length;
      if (decoded > MAX_DECODED_BULK) {
        done(vlrError('VLR_BODY_TOO_LARGE', `request body decompresses to more than ${MAX_DECODED_BULK} bytes (the engines' default http.max_content_length); send it in smaller _bulk requests`, { details: { max_bytes: MAX_DECODED_BULK } }));
        unzip.destroy();
        return;
      }
      done(null, chunk);
    },
  });
  const fail = (e: Error) => out.destroy(vlrError('VLR_BODY_DECODE', `request body is not valid ${coding} (Content-Encoding: ${coding}): ${e.message}`, { details: { header: 'content-encoding' } }));
  body.once('error', (e) => out.destroy(e));
  unzip.on('error', fail);
  // the reader may start after a bad body already failed (a few bytes of not-gzip fail at once, while
  // the write still looks up its pipelines): with no listener yet, `out`'s error was uncaught and ended
  // the process (seen once on CI). The reader still gets it: a destroyed stream's iterator throws its error.
  out.on('error', () => undefined);
  body.pipe(unzip).pipe(out);
  return out;
}

/** The most a compressed `_bulk` may decode to (the engines' default `http.max_content_length`). */
const MAX_DECODED_BULK = 100 * 1024 * 1024;

export function ingestRouter(deps: IngestRouteDeps): Router {
  // the ES client refuses an answer without x-elastic-product, a write's refusal by vlrerank included
  // (it threw ProductNotSupportedError instead of the refusal — held-out probe round 8a)
  const refuse = (res: ServerResponse, e: unknown) => {
    if (!res.destroyed) sendError(res, e, deps, esProduct(deps.upstreamProduct));
  };
  const router = Router({ caseSensitive: true }); // `_DOC`, `_BULK`…: the engine's 400, without computing records first
  const pinned = pinPipelines(deps.ingest);

  const bulk = async (req: Request, res: Response, next: NextFunction) => {
    // the pipeline set serving now, taken once: a reload during this write does not change it (server/pipelines-reload.ts)
    const ingest = pinned();
    if (!wantsBulk(ingest.pipelines, req.headers['content-encoding'])) return next();
    // the client gone: its model work stops, the documents not yet transformed go upstream as
    // received and the upstream request completes — the engine, sent the whole body directly,
    // stores all of it (held-out probe round 10b: 200 of 200, none through vlrerank); a body cut
    // short cuts the upstream request too (the engine stores nothing of a cut body)
    const ac = new AbortController();
    const cut = new AbortController();
    res.once('close', () => !res.writableFinished && ac.abort());
    req.once('aborted', () => cut.abort());
    try {
      await write(res, await handleBulk(ingest, writeRequest(req, ac.signal, cut.signal), decodedBulk(req, readAhead(req, BULK_READ_AHEAD_BYTES))));
    } catch (e) {
      refuse(res, e);
    }
  };

  const single = (op: 'index' | 'update') => async (req: Request, res: Response, next: NextFunction) => {
    const index = req.params.index as string | undefined;
    const ingest = pinned(); // the set serving now, as above
    let pipeline = wantsDocument(ingest.pipelines, index);
    if (!pipeline) {
      // the engine is asked which index the name writes to (an alias?): the body is read meanwhile
      // (bounded as below; the proxy takes it read when no pipeline wants it). Left unread, a client
      // that sent it all and hung up during the lookup lost the document — Node discards an unread
      // body with the socket — where the engine sent it directly stores it (issue 13)
      if (mayBeAlias(ingest, index)) readBodyAhead(req, deps.maxJsonBodyBytes);
      try {
        pipeline = await wantsDocumentThrough(ingest, writeRequest(req));
      } catch (e) {
        // the engine failed to say which index an alias writes to (ingest/alias.ts): its 502/504,
        // nothing written — forwarded, the document was stored without its vectors, unsaid
        refuse(res, e);
        return;
      }
      if (!pipeline) return next();
      if (res.destroyed && bodyReadAhead(req)) {
        // the client left during the lookup: its document goes upstream as received (no vectors,
        // no record — `index backfill` adds them; no model work for nobody), the answer dropped,
        // as a `_bulk` whose client left (fix12a); counted once the body is known to be whole
        deps.ingest.onAsReceived && void bodyReadAhead(req)!.then(() => deps.ingest.onAsReceived!(1), () => undefined);
        return next();
      }
    }
    try {
      const body = await readDocumentBody(req, { maxBytes: deps.maxJsonBodyBytes, maxDepth: deps.ingest.maxJsonDepth ?? 1000, worker: deps.ingest.jsonWorker ?? deps.jsonWorker });
      await write(res, await handleDocument(ingest, pipeline, op, writeRequest(req), body));
    } catch (e) {
      refuse(res, e);
    }
  };

  for (const m of ['post', 'put'] as const) {
    router[m]('/_bulk', bulk);
    router[m]('/:index/_bulk', bulk);
    router[m]('/:index/_doc', single('index'));
    router[m]('/:index/_doc/:id', single('index'));
    router[m]('/:index/_create/:id', single('index'));
  }
  router.post('/:index/_update/:id', single('update'));
  return router;
}
