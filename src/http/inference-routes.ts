/**
 * Elasticsearch's Inference API paths for a vlrerank pipeline's name (api/inference.ts):
 * `POST|GET /_inference/{id}` and `/_inference/{task_type}/{id}`. Only when `{id}` names a pipeline
 * of the set serving is the request answered here — decided from the path alone, before a byte of
 * the body is read — else it goes on, untouched, to the streaming proxy (an engine's own endpoints,
 * `_inference/_all`, `PUT`/`DELETE` of any id). `{task_type_or_id}` that is a task type
 * (`GET _inference/rerank`) is the engine's listing, as ES reads it. Answers carry the engine's
 * product headers (the official client refuses a 2xx without `x-elastic-product`) and errors are
 * ES-shaped (the app's error handler); the body is read by the rerank APIs' strict reader, after
 * their early admission refusal.
 * OpenSearch ml-commons' `_predict` on a pipeline's name (api/ml-predict.ts, held-out probe round 32b)
 * is decided the same way: `POST /_plugins/_ml/models/{id}/_predict` and
 * `/_plugins/_ml/_predict/{algorithm}/{id}`; any other id (the cluster's own models) is the engine's.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { describeEndpoint, inferenceRerank, TASK_TYPES } from '../api/inference.js';
import { mlPredict } from '../api/ml-predict.js';
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { answerUnwanted, endInTurns } from './answer-json.js';
import { encodeEsAnswer } from './es-answer.js';
import { queryParams } from './request.js';
import { esProduct, warningHeader, type UpstreamProduct } from './errors.js';
import type { ApiAnswer } from '../api/rerank.js';
import { admitEarly, apiCall, jsonBody, reply, type RerankRouteDeps } from './rerank-routes.js';

export interface InferenceRouteDeps {
  rerank: RerankRouteDeps;
  /** The pipeline set serving now (read once per request). */
  pipelines: () => PipelineRegistry;
  upstreamProduct?: UpstreamProduct;
}

const pipelineOf = (res: Response): Pipeline => res.locals.inferencePipeline as Pipeline;

export function inferenceRouter(deps: InferenceRouteDeps): Router {
  // as the engine routes: `/_Inference/...` or a trailing slash is not this path (they pass through)
  const r = Router({ caseSensitive: true, strict: true });
  const paths = ['/_inference/:id', '/_inference/:taskType/:id'];
  // the pipeline the id names, or on to the next route (and the proxy) with the body unread
  const pipelineNamed = (idOf: (params: Record<string, string | undefined>) => string | undefined) => (req: Request, res: Response, next: NextFunction) => {
    const id = idOf(req.params as Record<string, string | undefined>);
    const p = id === undefined ? undefined : deps.pipelines().get(id);
    if (!p) return next('route');
    res.locals.inferencePipeline = p;
    for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
    next();
  };
  // `GET _inference/rerank` (and `_inference/_all`) is the engine's listing: a task type in the id's place is never a pipeline
  const named = pipelineNamed(({ id, taskType }) => (taskType === undefined && (TASK_TYPES.has(id!) || id === '_all') ? undefined : id));
  // the answer, with what the caller is told (a document scored without its media, a query cut) in `Warning` headers: these APIs' bodies have no place for it
  const answer = async (res: Response, a: ApiAnswer) => {
    if (a.warnings?.length) res.setHeader('warning', a.warnings.map((w) => warningHeader(w, deps.upstreamProduct)));
    await reply(res, a, deps.rerank.jsonWorker, true);
  };
  r.post(paths, named, admitEarly(deps.rerank), jsonBody(deps.rerank), async (req, res, next) => {
    try {
      const call = { ...apiCall(req, res), timeout: req.query.timeout };
      await answer(res, await inferenceRerank(deps.rerank.reranker, pipelineOf(res), (req.params as { taskType?: string }).taskType, req.body, call));
    } catch (e) {
      next(e);
    }
  });
  // ml-commons: `{id}` is `model_id`
  const mlPaths = ['/_plugins/_ml/models/:id/_predict', '/_plugins/_ml/_predict/:algorithm/:id'];
  const model = pipelineNamed(({ id }) => id);
  r.post(mlPaths, model, admitEarly(deps.rerank), jsonBody(deps.rerank), async (req, res, next) => {
    try {
      await answer(res, await mlPredict(deps.rerank.reranker, pipelineOf(res), (req.params as { algorithm?: string }).algorithm, req.body, apiCall(req, res)));
    } catch (e) {
      next(e);
    }
  });
  r.get(paths, named, async (req, res, next) => {
    try {
      const described = describeEndpoint(pipelineOf(res), (req.params as { taskType?: string }).taskType);
      const { bytes, contentType } = await encodeEsAnswer(described, queryParams(req), req.headers.accept, { filter: true });
      if (answerUnwanted(res)) return;
      res.setHeader('content-type', contentType);
      await endInTurns(res, bytes);
    } catch (e) {
      next(e);
    }
  });
  return r;
}
