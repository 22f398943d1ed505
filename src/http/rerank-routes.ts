/**
 * The rerank APIs over HTTP: `POST /_vlrerank/rerank` (errors ES-shaped, mounted under
 * /_vlrerank) and the Cohere / Jina / vLLM-compatible `POST /v1/rerank`, `/v2/rerank`, `/rerank`
 * (errors in those APIs' shape, including the body parser's). Each router has its own JSON body
 * parser bounded by server.maxJsonBodyBytes: there is no global one (passthrough bodies stream).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { rerankCompat, rerankNative, type ApiAnswer, type CompatVersion } from '../api/rerank.js';
import type { Reranker } from '../rerank/reranker.js';
import { bodyParserError, sendCompatError, type ErrorDeps } from './errors.js';
import { clientId, clientSignal } from './request.js';

export interface RerankRouteDeps extends ErrorDeps {
  reranker: Pick<Reranker, 'process'>;
  maxJsonBodyBytes: number;
}

function jsonBody(maxBytes: number) {
  return express.json({ limit: maxBytes, type: () => true, strict: false });
}

function reply(res: Response, a: ApiAnswer): void {
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  res.json(a.body);
}

/** `POST /_vlrerank/rerank`, mounted under /_vlrerank (errors go to the ES-shaped error handler). */
export function rerankRouter(deps: RerankRouteDeps): Router {
  const r = Router();
  r.post('/rerank', jsonBody(deps.maxJsonBodyBytes), async (req, res, next) => {
    try {
      reply(res, await rerankNative(deps.reranker, req.body, clientSignal(res), clientId(req)));
    } catch (e) {
      next(e);
    }
  });
  return r;
}

export function compatRerankRouter(deps: RerankRouteDeps): Router {
  const r = Router();
  const handler = (version: CompatVersion) => async (req: Request, res: Response) => {
    try {
      reply(res, await rerankCompat(deps.reranker, version, req.body, clientSignal(res), clientId(req)));
    } catch (e) {
      sendCompatError(res, e, deps);
    }
  };
  const parser = jsonBody(deps.maxJsonBodyBytes);
  const parseErrors = (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = bodyParserError(err);
    if (e === err) return next(err);
    sendCompatError(res, e, deps);
  };
  r.post('/v1/rerank', parser, parseErrors, handler('v1'));
  r.post('/v2/rerank', parser, parseErrors, handler('v2'));
  r.post('/rerank', parser, parseErrors, handler('plain'));
  return r;
}
