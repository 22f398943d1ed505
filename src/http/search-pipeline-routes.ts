/**
 * `/_search/pipeline/{name}` (OpenSearch's cluster search pipelines) when a definition's `rerank`
 * processor names a vlrerank pipeline as its `ml_opensearch.model_id` (engine/search-pipelines.ts,
 * held-out probe round 34b): `PUT` stores the definition without that processor under its companion
 * name, the client's kept in its description, and answers as the engine does (a pipeline of the
 * engine's under the name itself is removed: the name is now vlrerank's); `GET` shows the client's
 * definition under its name; `DELETE` removes both. Any other definition goes to the engine as sent
 * (a companion of that name removed after it). A write or delete through vlrerank forgets what names
 * were learnt to stand for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { clientReadHeaders } from '../engine/targets.js';
import { restoreDefinitions, splitDefinition, storedName, MARK, type SearchPipelineAliases } from '../engine/search-pipelines.js';
import type { PipelineRegistry } from '../pipelines/index.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { JsonWorker } from '../util/json-worker.js';
import { endInTurns } from './answer-json.js';
import { readSearchBody } from './body.js';
import { encodeEsAnswer } from './es-answer.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { forwardRequestHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import { hasBody, originalUrl, queryParams } from './request.js';

/** Headers that describe the client's body bytes, which the stored definition does not have. */
const BODY_BYTES = new Set(['content-length', 'content-encoding', 'content-type']);

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
  // Elasticsearch, once known, has no search pipelines: its answer to these paths, as sent
  r.use((_req, _res, next) => next(deps.upstreamProduct?.()?.['x-elastic-product'] !== undefined ? 'router' : undefined));
  // a side request of a PUT or DELETE (its answer is not the client's); true when the engine did it
  const also = async (req: IncomingMessage, method: 'DELETE', name: string): Promise<boolean> => {
    const up = await deps.pool.request({ method, path: `/_search/pipeline/${encodeURIComponent(name)}`, headers: clientReadHeaders(req.rawHeaders), idempotent: true });
    await up.body.dump();
    return up.statusCode < 300;
  };
  const query = (req: IncomingMessage) => {
    const url = originalUrl(req);
    const q = url.indexOf('?');
    return q < 0 ? '' : url.slice(q);
  };
  // the engine's answer, as it gave it (the status, its type and coding; our product headers)
  const answerAs = async (res: ServerResponse, up: { statusCode: number; headers: Record<string, string | string[] | undefined> }, bytes: Buffer) => {
    for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
    res.statusCode = up.statusCode;
    for (const h of ['content-type', 'content-encoding', 'warning']) if (up.headers[h] !== undefined) res.setHeader(h, up.headers[h]!);
    await endInTurns(res, bytes);
  };
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
      const name = req.params.name as string;
      // the side removal is made before the client is answered: its next request sees the cluster as it will stay
      const headers = withoutHeaders(forwardRequestHeaders(req.rawHeaders), BODY_BYTES);
      if (!split) {
        const up = await deps.pool.request({ method: 'PUT', path: originalUrl(req), headers: forwardRequestHeaders(req.rawHeaders), body: body.raw, idempotent: false });
        const bytes = Buffer.from(await up.body.arrayBuffer());
        // the name is the engine's again: vlrerank's companion of it, if any, goes
        if (up.statusCode < 300 && !name.startsWith('.')) await also(req, 'DELETE', storedName(name)).catch(() => false);
        return await answerAs(res, up, bytes);
      }
      const path = `/_search/pipeline/${encodeURIComponent(storedName(name))}${query(req)}`;
      const up = await deps.pool.request({ method: 'PUT', path, headers: [...headers, 'content-type', 'application/json'], body: Buffer.from(JSON.stringify(split.stored)), idempotent: false });
      const bytes = Buffer.from(await up.body.arrayBuffer());
      if (up.statusCode < 300) {
        deps.aliases.learn(name, split.alias);
        // an engine pipeline of that name would be run, without the rerank, wherever vlrerank does not serve the search
        await also(req, 'DELETE', name).catch(() => false);
      }
      await answerAs(res, up, bytes);
    } catch (e) {
      fail(req, res, e);
    }
  });
  r.delete('/_search/pipeline/:name', async (req: Request, res: Response, next: NextFunction) => {
    deps.aliases.forget();
    const name = req.params.name as string;
    try {
      if (name.includes(',') || name.includes('*') || name.startsWith('.') || !(await also(req, 'DELETE', storedName(name)))) return next();
      // it was vlrerank's: an engine pipeline of the name too, if any; the client's answer is the engine's acknowledgement
      await also(req, 'DELETE', name);
      for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json; charset=UTF-8');
      await endInTurns(res, Buffer.from('{"acknowledged":true}'));
    } catch (e) {
      fail(req, res, e);
    }
  });
  const get = async (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'HEAD') return next(); // the engine's
    try {
      // each name asked, with its companion (`GET _search/pipeline` lists every pipeline, companions too)
      const names = req.params.name as string | undefined;
      const path = names === undefined ? originalUrl(req) : `/_search/pipeline/${[names, ...names.split(',').filter((n) => n && !n.startsWith('.')).map(storedName)].map((n) => encodeURIComponent(n).replace(/%2C/g, ',')).join(',')}${query(req)}`;
      const up = await deps.pool.request({ method: 'GET', path, headers: clientReadHeaders(req.rawHeaders), idempotent: true });
      const bytes = Buffer.from(await up.body.arrayBuffer());
      let value: Record<string, unknown> | undefined;
      if (up.statusCode === 200 && bytes.includes(MARK)) {
        try {
          value = restoreDefinitions(JSON.parse(bytes.toString('utf8')), (n, a) => deps.aliases.learn(n, a));
        } catch {
          value = undefined;
        }
      }
      if (!value) return await answerAs(res, up, bytes);
      for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
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
