/**
 * `/_search/pipeline/{name}` (OpenSearch's cluster search pipelines) when a definition's `rerank`
 * processor names a vlrerank pipeline as its `ml_opensearch.model_id` (engine/search-pipelines.ts,
 * held-out probe round 34b): `PUT` stores the definition without that processor, the client's kept
 * in its description, and answers as the engine does; `GET` shows the client's definition again.
 * Any other definition, and every other method, goes to the engine untouched; a write or delete
 * through vlrerank forgets what names were learnt to stand for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { clientReadHeaders } from '../engine/targets.js';
import { restoreDefinitions, splitDefinition, MARK, type SearchPipelineAliases } from '../engine/search-pipelines.js';
import type { PipelineRegistry } from '../pipelines/index.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { JsonWorker } from '../util/json-worker.js';
import { endInTurns } from './answer-json.js';
import { readSearchBody } from './body.js';
import { encodeEsAnswer } from './es-answer.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { forwardBuffered } from './proxy-route.js';
import { hasBody, originalUrl, queryParams } from './request.js';

export interface SearchPipelineRouteDeps extends ErrorDeps {
  pool: UpstreamPool;
  aliases: SearchPipelineAliases;
  /** The pipeline set serving now. */
  pipelines: () => PipelineRegistry;
  maxJsonBodyBytes: number;
  maxJsonDepth: number;
  jsonWorker: JsonWorker;
  upstreamProduct?: UpstreamProduct;
}

export function searchPipelineRouter(deps: SearchPipelineRouteDeps): Router {
  const r = Router({ caseSensitive: true });
  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown) => {
    if (!res.headersSent) sendError(res, e, deps, esProduct(deps.upstreamProduct));
    else res.destroy();
  };
  r.put('/_search/pipeline/:name', async (req, res, next) => {
    deps.aliases.forget(); // whatever it becomes: learnt again at the next search naming it
    if (!hasBody(req)) return next();
    try {
      const body = await readSearchBody(req, { maxBytes: deps.maxJsonBodyBytes, maxDepth: deps.maxJsonDepth, markers: ['ml_opensearch'], always: false, worker: deps.jsonWorker });
      let def: unknown;
      if (body.parsed) def = body.parsed.hasMarker ? body.parsed.value : undefined;
      else if (body.text?.includes('ml_opensearch')) {
        try {
          def = JSON.parse(body.text);
        } catch {
          def = undefined; // the engine's parse error
        }
      }
      const pipelines = deps.pipelines();
      const split = splitDefinition(def, (n) => pipelines.get(n) !== undefined);
      if (!split) return await forwardBuffered(deps.pool, req, res, body.raw);
      await forwardBuffered(deps.pool, req, res, Buffer.from(JSON.stringify(split.stored)), true);
      if (res.statusCode < 300) deps.aliases.learn(req.params.name as string, split.alias);
    } catch (e) {
      fail(req, res, e);
    }
  });
  r.delete('/_search/pipeline/:name', (_req: Request, _res: Response, next: NextFunction) => {
    deps.aliases.forget();
    next();
  });
  const get = async (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'HEAD') return next(); // the engine's
    try {
      const up = await deps.pool.request({ method: 'GET', path: originalUrl(req), headers: clientReadHeaders(req.rawHeaders), idempotent: true });
      const bytes = Buffer.from(await up.body.arrayBuffer());
      let value: Record<string, unknown> | undefined;
      if (up.statusCode === 200 && bytes.includes(MARK)) {
        try {
          value = restoreDefinitions(JSON.parse(bytes.toString('utf8')), (n, a) => deps.aliases.learn(n, a));
        } catch {
          value = undefined;
        }
      }
      for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
      if (!value) {
        res.statusCode = up.statusCode;
        const type = up.headers['content-type'];
        if (type !== undefined) res.setHeader('content-type', type);
        return await endInTurns(res, bytes);
      }
      const out = await encodeEsAnswer(value, queryParams(req), req.headers.accept, { worker: deps.jsonWorker, filter: true });
      res.statusCode = 200;
      res.setHeader('content-type', out.contentType);
      await endInTurns(res, out.bytes);
    } catch (e) {
      fail(req, res, e);
    }
  };
  r.get(['/_search/pipeline', '/_search/pipeline/:name'], get);
  return r;
}
