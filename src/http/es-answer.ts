/**
 * An answer vlrerank builds, written as the engines write theirs: in the format asked (`?format=`,
 * `Accept`: yaml, cbor, smile; else JSON, indented under `?pretty`), with the client's `filter_path`
 * applied where the caller says so. Reranked searches (search-routes.ts) and the engine-shaped
 * endpoints vlrerank answers itself — `_inference`, ml-commons' `_predict`, `/_vlrerank/*` — share it:
 * `GET /_vlrerank/health?filter_path=status` or `POST _inference/rerank/<pipeline>?pretty` came back
 * whole and compact, unlike the same parameters on the engine's own APIs.
 */
import type { JsonWorker } from '../util/json-worker.js';
import { applyFilterPath, parseFilterPath } from '../search/filter-path.js';
import { answerJson } from './answer-json.js';
import { ANSWER_CONTENT_TYPE, askedFormat, encodeAnswer } from './answer-format.js';
import { prettyAsked } from './request.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface EncodedAnswer {
  bytes: Buffer;
  contentType: string;
}

/**
 * `value` encoded as the client asked. `filter: true` applies its `filter_path` first (a reranked
 * search applies it in the search room, before the access line reads the answer). A large JSON
 * answer is written in the JSON worker when one is given (answer-json.ts).
 */
export async function encodeEsAnswer(value: object, params: URLSearchParams, accept: string | undefined, opts: { worker?: Pick<JsonWorker, 'stringify'>; filter?: boolean } = {}): Promise<EncodedAnswer> {
  const f = opts.filter ? parseFilterPath(params) : undefined;
  const shown = f && !Array.isArray(value) ? applyFilterPath(value as Record<string, unknown>, f) : value;
  const format = askedFormat(params, accept);
  if (format !== 'json') return { bytes: encodeAnswer(shown, format), contentType: ANSWER_CONTENT_TYPE[format] };
  const indent = prettyAsked(params) ? 2 : undefined;
  const bytes = opts.worker ? await answerJson(opts.worker, shown, indent) : Buffer.from(indent ? `${JSON.stringify(shown, null, indent)}\n` : JSON.stringify(shown));
  return { bytes, contentType: JSON_CONTENT_TYPE };
}
