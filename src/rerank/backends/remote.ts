/**
 * The `remote` scorer backend: a rerank server reached over HTTP — Qwen3-VL-Reranker served by vLLM,
 * SGLang or Xinference, a Jina/Cohere-style server, or another vlrerank acting as a GPU worker —
 * through the Cohere-compatible `POST /v1/rerank`. Text-only items go as strings; items with an
 * image or video go as OpenAI-style content parts
 * `{"content":[{"type":"text","text":…},{"type":"image_url","image_url":{"url":…}},{"type":"video_url","video_url":{"url":…}}]}`.
 *
 * One undici Pool per worker (keep-alive, pipelining off), a time-out per call, and on a connection
 * failure, a timeout or a 5xx the same request is tried once on each other worker. Its scores are
 * one calibrated signal (`remote`) like any other; the instruction is sent as `instruction`.
 * undici errors become VLR_REMOTE_SCORER here, nowhere else.
 */
import { Pool } from 'undici';
import { vlrError, isVlrerankError } from '../../errors.js';
import type { RemoteScoreRequest, RemoteScorerPort } from '../ports.js';

export interface RemoteScorerOptions {
  /** Base URLs of the workers (`http://gpu-1:8000`) or full `…/v1/rerank` URLs. */
  urls: string[];
  model?: string;
  apiKey?: string;
  timeoutMs?: number;
  connections?: number;
}

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } } | { type: 'video_url'; video_url: { url: string } };

/** One query/document as the remote APIs expect it: a plain string when it is only text. */
export function toRemoteItem(x: { text?: string; image?: string; video?: string }): string | { content: Part[] } {
  if (x.image === undefined && x.video === undefined) return x.text ?? '';
  const content: Part[] = [];
  if (x.text !== undefined) content.push({ type: 'text', text: x.text });
  if (x.image !== undefined) content.push({ type: 'image_url', image_url: { url: x.image } });
  if (x.video !== undefined) content.push({ type: 'video_url', video_url: { url: x.video } });
  return { content };
}

interface Worker {
  origin: string;
  path: string;
  pool: Pool;
}

export class RemoteScorer implements RemoteScorerPort {
  readonly id: string;
  readonly #workers: Worker[];
  readonly #opts: RemoteScorerOptions;
  #next = 0;

  constructor(opts: RemoteScorerOptions) {
    if (opts.urls.length === 0) throw vlrError('VLR_CONFIG_INVALID', 'rerank.remote.urls must list at least one worker');
    this.#opts = opts;
    this.#workers = opts.urls.map((u) => {
      const url = new URL(u);
      const base = url.pathname.replace(/\/+$/, '');
      const path = /\/rerank$/.test(base) ? base : `${base}/v1/rerank`;
      const timeout = opts.timeoutMs ?? 30_000;
      return { origin: url.origin, path, pool: new Pool(url.origin, { connections: opts.connections ?? 16, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 5_000) }) };
    });
    this.id = `remote:${this.#workers.map((w) => w.origin).join(',')}`;
  }

  async score(req: RemoteScoreRequest): Promise<{ scores: number[]; model?: string; worker: string }> {
    const body = JSON.stringify({
      ...(this.#opts.model ? { model: this.#opts.model } : {}),
      query: toRemoteItem(req.query),
      documents: req.documents.map(toRemoteItem),
      top_n: req.documents.length,
      return_documents: false,
      ...(req.instruction !== undefined ? { instruction: req.instruction } : {}),
    });
    const start = this.#next++ % this.#workers.length;
    let lastErr: unknown;
    for (let k = 0; k < this.#workers.length; k++) {
      const w = this.#workers[(start + k) % this.#workers.length]!;
      try {
        return { ...(await this.#call(w, body, req.documents.length, req.signal)), worker: w.origin };
      } catch (e) {
        lastErr = e;
        if (req.signal?.aborted) break;
        if (isVlrerankError(e) && e.details.retryable === false) break;
      }
    }
    throw isVlrerankError(lastErr) ? lastErr : vlrError('VLR_REMOTE_SCORER', 'remote rerank failed', { cause: lastErr });
  }

  async #call(w: Worker, body: string, n: number, signal?: AbortSignal): Promise<{ scores: number[]; model?: string }> {
    const timeout = this.#opts.timeoutMs ?? 30_000;
    const sig = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout);
    let res;
    try {
      res = await w.pool.request({
        method: 'POST',
        path: w.path,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.#opts.apiKey ? { authorization: `Bearer ${this.#opts.apiKey}` } : {}) },
        body,
        signal: sig,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).name;
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} failed: ${code}`, { cause: e });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin}: reading the response failed`, { cause: e });
    }
    if (res.statusCode >= 400) {
      // 4xx means the request itself is wrong: another worker would refuse it too
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} answered ${res.statusCode}: ${text.slice(0, 300)}`, {
        details: { retryable: res.statusCode >= 500 || res.statusCode === 429 },
      });
    }
    let json: { results?: Array<{ index?: number; relevance_score?: number; score?: number }>; model?: string };
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} sent invalid JSON`, { cause: e });
    }
    const scores = new Array<number>(n).fill(NaN);
    for (const r of json.results ?? []) {
      const s = r.relevance_score ?? r.score;
      if (typeof r.index === 'number' && r.index >= 0 && r.index < n && typeof s === 'number') scores[r.index] = s;
    }
    if (scores.some((s) => Number.isNaN(s))) throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} did not score every document`);
    return { scores, model: json.model };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.pool.close()));
  }
}

export async function createRemoteScorer(opts: RemoteScorerOptions): Promise<RemoteScorer> {
  return new RemoteScorer(opts);
}
