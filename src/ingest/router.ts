/**
 * Ingest interception: `_bulk`, `_doc`, `_create` and `_update` requests for indices whose pipeline
 * sets `vectors.ingest` get the vectors of their image/video fields added before they are
 * forwarded. `_bulk` is transformed as a stream (bulk.ts); single documents are read (bounded) and
 * rewritten. A compressed `_bulk` body is forwarded as sent (no vectors). Requests for other indices never leave the streaming proxy path: `/{index}/_bulk` on
 * an index without an ingest pipeline is not parsed (its action lines naming another `_index` are
 * therefore not vectorised — send those to `/_bulk`).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { pipeline as pipe } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ServerContext } from '../http/context.js';
import { sendError } from '../http/errors.js';
import { forwardRequestHeaders, forwardResponseHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { decodeBody, readBody } from '../search/body.js';
import { searchDeps, type SearchServices } from '../search/router.js';
import { transformBulk, mergeBulkResponse, type BulkReport } from './bulk.js';
import { addVectors } from './vectors.js';

const REWRITTEN_REQUEST = new Set(['content-length', 'content-encoding', 'accept-encoding']);
const CONTENT_LENGTH = new Set(['content-length']);

/** Request headers for a body we rewrote: no length or encoding of the original, no compressed answer. */
function rewrittenHeaders(req: Request): string[] {
  return withoutHeaders(forwardRequestHeaders(req.rawHeaders), REWRITTEN_REQUEST);
}

async function answer(res: Response, up: { statusCode: number; rawHeaders?: string[]; body: Readable & { text(): Promise<string> } }, merge?: (b: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  res.sendDate = false;
  if (!merge) {
    res.writeHead(up.statusCode, forwardResponseHeaders(up.rawHeaders!));
    await pipe(up.body, res);
    return;
  }
  const text = await up.body.text();
  let out = text;
  try {
    out = JSON.stringify(merge(JSON.parse(text) as Record<string, unknown>));
  } catch {
    /* not JSON: forward as is */
  }
  const headers = withoutHeaders(forwardResponseHeaders(up.rawHeaders!), CONTENT_LENGTH);
  res.writeHead(up.statusCode, [...headers, 'content-length', String(Buffer.byteLength(out))]);
  res.end(out);
}

export function ingestRouter(ctx: ServerContext): Router {
  const svc = ctx.services.search as SearchServices;
  const registry = svc.pipelines;
  const router = Router();
  const pool = () => ctx.services.upstream as UpstreamPool;

  const bulk = async (req: Request, res: Response, next: NextFunction) => {
    const index = req.params.index as string | undefined;
    if (!registry.ingests || (index !== undefined && !registry.ingestFor(index))) return next();
    // a compressed bulk body goes through exactly as sent (clients compress for bandwidth, and the
    // proxy promises those bytes untouched); send uncompressed bulks to get vectors added
    const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (enc !== 'identity' && enc !== '') return next();
    const ac = new AbortController();
    res.once('close', () => !res.writableFinished && ac.abort());
    try {
      const report: BulkReport = { failures: new Map(), vectorized: 0 };
      const body = transformBulk(req, { pathIndex: index, registry, embedder: searchDeps(ctx).embedder, concurrency: 4, signal: ac.signal }, report);
      const up = await pool().request({ method: req.method, path: req.originalUrl, headers: rewrittenHeaders(req), body, signal: ac.signal, rawHeaders: true, idempotent: false });
      await answer(res, up, report.failures.size || report.vectorized ? (b) => mergeBulkResponse(b, report) : undefined);
    } catch (e) {
      if (!res.destroyed) sendError(res, e, ctx);
    }
  };

  const single = (op: 'index' | 'update') => async (req: Request, res: Response, next: NextFunction) => {
    const index = req.params.index as string;
    const p = registry.ingestFor(index);
    if (!p) return next();
    try {
      const raw = await readBody(req, ctx.config.server.maxJsonBodyBytes);
      const text = decodeBody(req, raw, ctx.config.server.maxJsonBodyBytes);
      let doc: Record<string, unknown> | undefined;
      try {
        doc = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        doc = undefined;
      }
      let error: Awaited<ReturnType<typeof addVectors>>['error'];
      let added = 0;
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
        const targets = op === 'update' ? (['doc', 'upsert'] as const).map((k) => doc![k]).filter((t): t is Record<string, unknown> => !!t && typeof t === 'object' && !Array.isArray(t)) : [doc];
        for (const t of targets) {
          const r = await addVectors(t, p, searchDeps(ctx).embedder);
          error ??= r.error;
          added += r.added.length;
        }
      }
      const changed = added > 0;
      const up = await pool().request({
        method: req.method,
        path: req.originalUrl,
        headers: changed ? rewrittenHeaders(req) : forwardRequestHeaders(req.rawHeaders),
        body: changed ? JSON.stringify(doc) : raw.length ? raw : null,
        rawHeaders: true,
      });
      await answer(res, up, error ? (b) => ({ ...b, vlrerank: { vectors: false, error } }) : undefined);
    } catch (e) {
      if (!res.destroyed) sendError(res, e, ctx);
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
