/**
 * The rerank HTTP APIs:
 * - `POST /_vlrerank/rerank`: the library's input shape → `{results, scores, usage, timings, instruction}`;
 *   errors ES-shaped.
 * - `POST /v1/rerank`, `/v2/rerank`, `/rerank`: compatible with Cohere (v1 and v2 clients), Jina,
 *   vLLM/SGLang/Xinference: `query` and documents as strings, `{text,image,video}` objects or
 *   `{content:[parts]}` (OpenAI-style parts), `top_n`, `return_documents`, `instruction` →
 *   `{id, model, results:[{index, relevance_score, document?}], usage, meta}`; errors in those APIs'
 *   shape (`message` for Cohere, `object/type/code` for OpenAI-style servers, `detail` for Jina).
 * Per-stage timing headers on every answer: x-vlrerank-queue-ms, -features-ms, -inference-ms, -total-ms.
 *
 * Each router has its own JSON body parser bounded by server.maxJsonBodyBytes (there is no global one).
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { ServerContext } from '../http/context.js';
import { sendError } from '../http/errors.js';
import { esErrorBody, toVlrerankError, vlrError } from '../errors.js';
import type { Reranker } from '../rerank/reranker.js';
import type { RerankOutput } from '../rerank/types.js';

function reranker(ctx: ServerContext): Reranker {
  const r = ctx.services.reranker as Reranker | undefined;
  if (!r) throw vlrError('VLR_MODEL_MISSING', 'the reranker is not configured in this server');
  return r;
}

function clientSignal(req: Request, res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  return ac.signal;
}

function timingHeaders(res: Response, out: RerankOutput): void {
  res.setHeader('x-vlrerank-queue-ms', String(out.timings.queue_ms));
  res.setHeader('x-vlrerank-features-ms', String(out.timings.features_ms));
  res.setHeader('x-vlrerank-inference-ms', String(out.timings.inference_ms));
  res.setHeader('x-vlrerank-total-ms', String(out.timings.total_ms));
}

function jsonBody(ctx: ServerContext) {
  return express.json({ limit: ctx.config.server.maxJsonBodyBytes, type: () => true, strict: false });
}

/** `POST /_vlrerank/rerank`, mounted under /_vlrerank with the admin routers. */
export function rerankRouter(ctx: ServerContext): Router {
  const r = Router();
  r.post('/rerank', jsonBody(ctx), async (req, res, next) => {
    try {
      const out = await reranker(ctx).process(req.body, { signal: clientSignal(req, res) });
      timingHeaders(res, out);
      res.json({ results: [...out], scores: out.scores, usage: out.usage, timings: out.timings, instruction: out.instruction });
    } catch (e) {
      next(e);
    }
  });
  return r;
}

// ---------------------------------------------------------------- Cohere / Jina / vLLM compatible

type Item = { text?: string; image?: string; video?: string };

/** One query or document of the compatible APIs → the library's `{text,image,video}`. */
export function compatItem(x: unknown, field: string): Item | string {
  if (typeof x === 'string') return x;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw vlrError('VLR_BAD_REQUEST', `[${field}] must be a string or an object`, { details: { field } });
  const o = x as Record<string, unknown>;
  if (Array.isArray(o.content)) {
    const out: Item = {};
    const texts: string[] = [];
    o.content.forEach((p, i) => {
      const f = `${field}.content[${i}]`;
      const part = p as Record<string, unknown>;
      if (part === null || typeof part !== 'object') throw vlrError('VLR_BAD_REQUEST', `[${f}] must be an object`, { details: { field: f } });
      const url = (v: unknown) => (typeof v === 'string' ? v : typeof (v as { url?: unknown })?.url === 'string' ? (v as { url: string }).url : undefined);
      switch (part.type) {
        case 'text':
          if (typeof part.text !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${f}.text] must be a string`, { details: { field: `${f}.text` } });
          texts.push(part.text);
          break;
        case 'image_url':
        case 'image': {
          const u = url(part.image_url ?? part.image);
          if (!u) throw vlrError('VLR_BAD_REQUEST', `[${f}.image_url.url] must be a string`, { details: { field: `${f}.image_url.url` } });
          if (out.image !== undefined) throw vlrError('VLR_BAD_REQUEST', `[${f}] only one image per item is supported`, { details: { field: f } });
          out.image = u;
          break;
        }
        case 'video_url':
        case 'video': {
          const u = url(part.video_url ?? part.video);
          if (!u) throw vlrError('VLR_BAD_REQUEST', `[${f}.video_url.url] must be a string`, { details: { field: `${f}.video_url.url` } });
          if (out.video !== undefined) throw vlrError('VLR_BAD_REQUEST', `[${f}] only one video per item is supported`, { details: { field: f } });
          out.video = u;
          break;
        }
        default:
          throw vlrError('VLR_BAD_REQUEST', `[${f}.type] must be one of text, image_url, video_url`, { details: { field: `${f}.type` } });
      }
    });
    if (texts.length) out.text = texts.join('\n');
    return out;
  }
  const out: Item = {};
  for (const k of ['text', 'image', 'video'] as const) {
    if (o[k] === undefined) continue;
    const v = k === 'text' ? o[k] : typeof o[k] === 'object' && o[k] !== null ? (o[k] as { url?: unknown }).url : o[k];
    if (typeof v !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${field}.${k}] must be a string`, { details: { field: `${field}.${k}` } });
    out[k] = v;
  }
  if (!Object.keys(out).length) throw vlrError('VLR_BAD_REQUEST', `[${field}] needs text, image, video or content`, { details: { field } });
  return out;
}

interface CompatRequest {
  model?: unknown;
  query?: unknown;
  documents?: unknown;
  top_n?: unknown;
  return_documents?: unknown;
  instruction?: unknown;
}

function compatError(res: Response, ctx: ServerContext, e: unknown): void {
  const err = toVlrerankError(e);
  if (err.code === 'VLR_INTERNAL') ctx.logger.error({ err: err.cause ?? err }, 'internal error');
  ctx.metrics.failures.inc({ code: err.code });
  const es = esErrorBody(err);
  if (res.headersSent) return void res.destroy();
  // Cohere reads `message`; OpenAI-style servers (vLLM, SGLang) send object/message/type/code; Jina sends `detail`.
  res.status(es.status).json({ object: 'error', message: es.error.reason, type: es.error.type, code: es.status, detail: es.error.reason, error: es.error });
}

export function compatRerankRouter(ctx: ServerContext): Router {
  const r = Router();
  const handler = (version: 'v1' | 'v2' | 'plain') => async (req: Request, res: Response) => {
    try {
      const body = req.body as CompatRequest;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw vlrError('VLR_BAD_REQUEST', '[(root)] the request must be a JSON object', { details: { field: '(root)' } });
      if (body.query === undefined) throw vlrError('VLR_BAD_REQUEST', '[query] is required', { details: { field: 'query' } });
      if (!Array.isArray(body.documents)) throw vlrError('VLR_BAD_REQUEST', '[documents] must be an array', { details: { field: 'documents' } });
      if (body.top_n !== undefined && (typeof body.top_n !== 'number' || !Number.isInteger(body.top_n) || body.top_n < 1)) {
        throw vlrError('VLR_BAD_REQUEST', '[top_n] must be a positive integer', { details: { field: 'top_n' } });
      }
      if (body.return_documents !== undefined && typeof body.return_documents !== 'boolean') {
        throw vlrError('VLR_BAD_REQUEST', '[return_documents] must be a boolean', { details: { field: 'return_documents' } });
      }
      if (body.instruction !== undefined && typeof body.instruction !== 'string') throw vlrError('VLR_BAD_REQUEST', '[instruction] must be a string', { details: { field: 'instruction' } });
      const documents = (body.documents as unknown[]).map((d, i) => compatItem(d, `documents[${i}]`));
      const query = compatItem(body.query, 'query');
      const out = await reranker(ctx).process(
        { query, documents, ...(body.top_n !== undefined ? { top_n: body.top_n as number } : {}), ...(body.instruction !== undefined ? { instruction: body.instruction as string } : {}) },
        { signal: clientSignal(req, res) },
      );
      timingHeaders(res, out);
      // Cohere v2 defaults return_documents to false; v1, Jina and vLLM return them by default.
      const withDocs = (body.return_documents as boolean | undefined) ?? version !== 'v2';
      const model = typeof body.model === 'string' ? body.model : 'vlrerank';
      const results = out.map((x) => {
        const d = (body.documents as unknown[])[x.index];
        return { index: x.index, relevance_score: x.score, ...(withDocs ? { document: typeof d === 'string' ? { text: d } : d } : {}) };
      });
      res.json({
        id: randomUUID(),
        model,
        results,
        usage: { total_tokens: 0, documents: out.usage.documents, images: out.usage.images, video_frames: out.usage.video_frames },
        meta: { api_version: { version: version === 'v2' ? '2' : '1' }, billed_units: { search_units: 1 }, ...(out.instruction.note ? { warnings: [`instruction ${out.instruction.note}`] } : {}) },
      });
    } catch (e) {
      compatError(res, ctx, e);
    }
  };
  const parser = jsonBody(ctx);
  const parseErrors = (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const t = (err as { type?: string }).type;
    if (t === 'entity.parse.failed') return compatError(res, ctx, vlrError('VLR_PARSE', `request body is not valid JSON: ${(err as Error).message}`));
    if (t === 'entity.too.large') return compatError(res, ctx, vlrError('VLR_BAD_REQUEST', `request body too large: ${(err as Error).message}`, { status: 413 }));
    next(err);
  };
  r.post('/v1/rerank', parser, parseErrors, handler('v1'));
  r.post('/v2/rerank', parser, parseErrors, handler('v2'));
  r.post('/rerank', parser, parseErrors, handler('plain'));
  return r;
}

export { sendError };
