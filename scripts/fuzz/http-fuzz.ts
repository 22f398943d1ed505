/**
 * Property-based fuzzing of vlrerank's own HTTP endpoints (issue 13 §7), shared by `npm run fuzz`
 * (scripts/fuzz.ts, at length) and a short-budget vitest run (test/integration/http/fuzz.test.ts).
 *
 * Generators (fast-check) mutate valid requests rather than throw noise at the parser alone:
 *   - the Cohere/Jina API (`/v1/rerank`, `/v2/rerank`, `/rerank`), vLLM's `/score`, `/v1/score`
 *     (and wrong methods on them), and `/_vlrerank/rerank`: queries
 *     and documents of every shape those APIs accept, and wrong types, nulls, deep nesting,
 *     unknown fields, odd media references (missing file, directory, refused URL, bad data: URI);
 *   - `_search` / `_msearch` bodies carrying rerank blocks (`ext.vlrerank`, the
 *     `text_similarity_reranker` retriever, `ext.rerank` with `search_pipeline`) with mutated values;
 *   - Elasticsearch's Inference API on a pipeline's name (`_inference/rerank/{pipeline}`: Elastic's
 *     `{type, value}` items and ours, `task_settings`, `?timeout`, other task types);
 *   - OpenSearch ml-commons' `_predict` on a pipeline's name (`{query_text, text_docs}`, other algorithms);
 *   - OpenSearch's `neural` query whose `model_id` names a pipeline (`query_image`, `k`, radius, `filter`; below `bool`);
 *   - `/_vlrerank/*` paths and methods;
 *   - writes into an index whose pipeline adds vectors and feature records at ingest: `_bulk`
 *     (actions of every kind, mutated metadata and sources, spoilt lines), `_doc`, `_create` and
 *     `_update` — each document that a write answers 2xx for is read back (no lost data);
 *   - and, on any of them, the envelope: raw bytes instead of JSON, a Content-Encoding (valid, lying,
 *     stacked, unknown), a charset.
 * The oracle, for every answer: it comes (no hang, within `timeoutMs`); it is JSON; a 4xx/5xx is
 * in the endpoint's own error shape (Cohere/Jina-style on the compatible API, ES-shaped elsewhere);
 * no 500 ever, and a 5xx only from the documented upstream/overload/model-availability codes.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { request } from 'undici';

/** 5xx codes an answer may carry: the cluster, overload, a model not installed, a budget. */
export const ALLOWED_5XX = new Set(['VLR_UPSTREAM_UNREACHABLE', 'VLR_UPSTREAM_TIMEOUT', 'VLR_UPSTREAM_ERROR', 'VLR_RERANK_FAILED', 'VLR_OVERLOADED', 'VLR_MODEL_MISSING', 'VLR_MODEL_CORRUPT', 'VLR_TIMEOUT', 'VLR_MEDIA_FETCH', 'VLR_MEDIA_TIMEOUT', 'VLR_REMOTE_SCORER']);

export type Shape = 'compat' | 'es';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  shape: Shape;
  /** What was generated, for the failure report. */
  label: string;
  /** Documents written with a string `title`: after a 2xx (the `_bulk` item's, for `item`) each must read back with it. */
  readBack?: ReadBack[];
}

export interface ReadBack {
  index: string;
  id: string;
  title: string;
  /** The document's item in a `_bulk` answer. */
  item?: number;
}

export interface FuzzContext {
  /** An index whose pipeline reranks on `title` (and `image`). */
  index: string;
  /** A readable image, a directory and a missing file under the media roots. */
  image: string;
  directory: string;
  /** An index whose pipeline adds image vectors and feature records at ingest (writes go here). */
  writeIndex: string;
}

const deep = (n: number): unknown => JSON.parse('['.repeat(n) + ']'.repeat(n));

/** Values of the wrong kind wherever a field is expected. */
const junk = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 5000 }),
    fc.double(),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', ' ', '\u0000', '💥'.repeat(3)),
    fc.constant(deep(50)),
    fc.jsonValue({ maxDepth: 3 }),
  );

function mediaRef(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(ctx.image, ctx.directory, `${ctx.directory}/no-such-file.jpg`, '../../etc/passwd', 'http://127.0.0.1:9/x.jpg', 'http://[::1]/x.jpg', 'data:image/png;base64,AAAA', 'data:,', 'file:///etc/passwd'),
    junk(),
  );
}

function textAr(): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 1, arbitrary: junk() });
}

/** A document as the compatible APIs accept them, or not quite. */
function compatDoc(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.record({ text: textAr(), image: mediaRef(ctx), extra: junk() }, { requiredKeys: [] }),
    // structured documents for rank_fields (Cohere v1): the named fields, wrong types, nested values
    fc.record({ title: textAr(), body: fc.oneof(textAr(), fc.integer(), junk()), image: mediaRef(ctx) }, { requiredKeys: [] }),
    fc.record({
      content: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('text'), text: textAr() }),
          fc.record({ type: fc.constant('image_url'), image_url: fc.oneof(fc.record({ url: mediaRef(ctx) }), mediaRef(ctx)) }),
          fc.record({ type: fc.oneof(fc.constantFrom('video_url', 'audio', ''), junk()) }),
          junk(),
        ),
        { maxLength: 3 },
      ),
    }),
    junk(),
  );
}

function compatBody(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ model: junk(), query: fc.oneof(fc.string({ maxLength: 40 }), compatDoc(ctx)), documents: fc.oneof({ weight: 5, arbitrary: fc.array(compatDoc(ctx), { maxLength: 6 }) }, { weight: 1, arbitrary: junk() }), top_n: junk(), return_documents: junk(), instruction: junk(), rank_fields: fc.oneof(fc.constant(['title', 'body']), fc.array(fc.oneof(fc.constantFrom('title', 'body', 'text', ''), junk()), { maxLength: 3 }), junk()) }, { requiredKeys: ['query', 'documents'] }) },
    { weight: 1, arbitrary: junk() },
  );
}

/** vLLM's score API body: each side a string, an item or a list of them, lengths that pair or not. */
function scoreBody(ctx: FuzzContext): fc.Arbitrary<unknown> {
  const side = fc.oneof(fc.string({ maxLength: 30 }), compatDoc(ctx), fc.array(fc.oneof(fc.string({ maxLength: 30 }), compatDoc(ctx)), { maxLength: 4 }), junk());
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ model: junk(), text_1: side, text_2: side, truncate_prompt_tokens: fc.oneof(fc.integer({ min: -2, max: 20 }), junk()), queries: junk() }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: junk() },
  );
}

function nativeBody(ctx: FuzzContext): fc.Arbitrary<unknown> {
  const item = fc.record({ text: textAr(), image: mediaRef(ctx), video: fc.oneof(fc.constant(ctx.directory), junk()), fps: junk(), max_frames: junk() }, { requiredKeys: [] });
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ query: fc.oneof(item, junk()), documents: fc.oneof(fc.array(item, { maxLength: 6 }), junk()), top_n: junk(), explain: junk(), instruction: junk(), strict: junk() }, { requiredKeys: ['query', 'documents'] }) },
    { weight: 1, arbitrary: junk() },
  );
}

/** Elasticsearch's Inference API body (`POST _inference/rerank/{pipeline}`): Elastic's `{type, value}` items and ours, settings mutated. */
function inferenceBody(ctx: FuzzContext): fc.Arbitrary<unknown> {
  const typed = fc.record({ type: fc.oneof(fc.constantFrom('text', 'image', 'video', 'audio'), junk()), value: fc.oneof(fc.string({ maxLength: 30 }), mediaRef(ctx), junk()), format: junk() }, { requiredKeys: [] });
  const item = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 2, arbitrary: typed }, { weight: 1, arbitrary: compatDoc(ctx) });
  const settings = fc.oneof(fc.record({ top_n: junk(), return_documents: junk() }, { requiredKeys: [] }), junk());
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ query: fc.oneof(item, junk()), input: fc.oneof({ weight: 4, arbitrary: fc.array(item, { maxLength: 6 }) }, { weight: 1, arbitrary: item }, { weight: 1, arbitrary: junk() }), task_settings: settings, top_n: junk(), return_documents: junk(), input_type: junk() }, { requiredKeys: ['query', 'input'] }) },
    { weight: 1, arbitrary: junk() },
  );
}

/** ml-commons' text_similarity `_predict` body (`POST /_plugins/_ml/models/{pipeline}/_predict`), values mutated. */
function predictBody(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ query_text: fc.oneof(fc.string({ maxLength: 40 }), junk()), text_docs: fc.oneof({ weight: 4, arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: junk() }), { maxLength: 6 }) }, { weight: 1, arbitrary: junk() }), parameters: junk() }, { requiredKeys: ['query_text', 'text_docs'] }) },
    { weight: 1, arbitrary: junk() },
  );
}

/** A search body asking for a rerank in one of the three syntaxes, values mutated. */
function searchBody(ctx: FuzzContext): fc.Arbitrary<{ body: unknown; params: string }> {
  const first = fc.oneof(fc.constant({ match_all: {} }), fc.constant({ match: { title: 'oat' } }), junk());
  const ext = fc.record({ query: fc.oneof(fc.string({ maxLength: 30 }), fc.record({ text: textAr(), image: mediaRef(ctx) }, { requiredKeys: [] }), junk()), window: junk(), explain: junk(), pipeline: fc.oneof(fc.constant(ctx.index), junk()), min_score: junk(), instruction: junk() }, { requiredKeys: [] });
  return fc.oneof(
    fc.record({ body: fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 20 }), junk()), from: fc.oneof(fc.integer({ min: 0, max: 20 }), junk()), query: first, ext: fc.record({ vlrerank: fc.oneof({ weight: 4, arbitrary: ext }, { weight: 1, arbitrary: junk() }) }) }, { requiredKeys: ['ext'] }), params: fc.constant('') }),
    fc.record({
      body: fc.record({ retriever: fc.record({ text_similarity_reranker: fc.record({ retriever: fc.oneof(fc.record({ standard: fc.record({ query: first }) }), junk()), field: fc.oneof(fc.constant('title'), junk()), inference_text: textAr(), rank_window_size: junk(), inference_id: junk() }, { requiredKeys: [] }) }) }),
      params: fc.constant(''),
    }),
    fc.record({ body: fc.record({ query: first, ext: fc.record({ rerank: fc.record({ query_context: fc.oneof(fc.record({ query_text: textAr(), query_text_path: junk() }, { requiredKeys: [] }), junk()) }, { requiredKeys: [] }) }) }), params: fc.constant(`?search_pipeline=${ctx.index}`) }),
    // OpenSearch's neural query with a pipeline's name as model_id (round 32c): whole, or below bool
    fc.record({ body: fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 20 }), junk()), query: neuralQuery(ctx) }), params: fc.constant('') }),
  );
}

/** A `neural` query naming a pipeline (the write index's has image vectors) as model_id, values mutated; sometimes inside a bool. */
function neuralQuery(ctx: FuzzContext): fc.Arbitrary<unknown> {
  const photo = fc.oneof(fc.constant(readFileSync(ctx.image).toString('base64')), fc.constantFrom('', 'AAAA', 'not base64 %', 'iVBORw0KGgo='), junk());
  const clause = fc.record(
    { query_image: photo, query_text: textAr(), model_id: fc.oneof(fc.constantFrom(ctx.writeIndex, ctx.index, 'some-ml-model'), junk()), k: fc.oneof(fc.integer({ min: -1, max: 30 }), junk()), min_score: junk(), max_distance: junk(), filter: fc.oneof(fc.constant({ match_all: {} }), junk()), method_parameters: junk() },
    { requiredKeys: ['model_id'] },
  );
  const whole = fc.record({ neural: fc.dictionary(fc.oneof(fc.constant('image_vector'), fc.string({ maxLength: 8 })), clause, { minKeys: 1, maxKeys: 2 }) });
  return fc.oneof({ weight: 4, arbitrary: whole }, { weight: 1, arbitrary: whole.map((q) => ({ bool: { must: [q] } })) });
}

/** Document ids as a client might send them (encoded into the path by the generator). */
// ('.' and '..' are left out: a URL path normalises them away, and the engine's own 405 for the
// path that is left comes back as it would from the engine, with a string `error`)
const docId = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom('1', '2', 'a b', 'é/ü', '%2F', '_x', '-', 'x'.repeat(512)), fc.string({ minLength: 1, maxLength: 12 }).filter((id) => id !== '.' && id !== '..'));

/** A document written through the proxy: mostly the pipeline's text and photo fields as a client writes them, sometimes not quite. */
function writeDoc(ctx: FuzzContext): fc.Arbitrary<unknown> {
  const photo = fc.constantFrom(ctx.image, ctx.directory, `${ctx.directory}/no-such-file.jpg`, 'http://127.0.0.1:9/x.jpg', 'data:image/png;base64,AAAA');
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ title: fc.string({ maxLength: 40 }), image: photo }, { requiredKeys: ['title'] }) },
    { weight: 2, arbitrary: fc.record({ title: textAr(), image: mediaRef(ctx), image_vector: fc.oneof(fc.constant([0.1, 0.2]), junk()), vlrerank_features: junk(), extra: junk() }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: junk() },
  );
}

/** `_bulk` bodies: actions of every kind with mutated metadata and sources, and spoilt NDJSON. */
function bulkBody(ctx: FuzzContext): fc.Arbitrary<{ nd: string; path: string; readBack: ReadBack[] }> {
  const meta = fc.oneof(
    { weight: 5, arbitrary: fc.record({ _index: fc.constant(ctx.writeIndex), _id: docId() }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.record({ _index: fc.oneof(fc.constant(ctx.writeIndex), junk()), _id: fc.oneof(docId(), junk()), pipeline: fc.oneof(fc.constant('_none'), junk()), require_alias: junk() }, { requiredKeys: [] }) },
  );
  const update = fc.oneof(
    { weight: 4, arbitrary: fc.record({ doc: writeDoc(ctx), doc_as_upsert: fc.boolean() }, { requiredKeys: ['doc'] }) },
    { weight: 1, arbitrary: fc.record({ doc: writeDoc(ctx), doc_as_upsert: junk(), upsert: writeDoc(ctx), script: junk() }, { requiredKeys: [] }) },
  );
  type Item = { line: string; action: boolean; id?: unknown; title?: string };
  const titleOf = (d: unknown) => (typeof (d as { title?: unknown } | null)?.title === 'string' ? (d as { title: string }).title : undefined);
  const item = fc.oneof(
    fc.tuple(fc.constantFrom('index', 'create'), meta, writeDoc(ctx)).map(([op, m, d]): Item => ({ line: `${JSON.stringify({ [op]: m })}\n${JSON.stringify(d) ?? 'null'}`, action: true, id: m._id, title: m._index === ctx.writeIndex ? titleOf(d) : undefined })),
    fc.tuple(meta, update).map(([m, u]): Item => ({ line: `${JSON.stringify({ update: m })}\n${JSON.stringify(u)}`, action: true, id: m._id })),
    meta.map((m): Item => ({ line: JSON.stringify({ delete: m }), action: true, id: m._id })),
    fc.tuple(fc.oneof(fc.constantFrom('indx', '', 'index'), fc.string({ maxLength: 8 })), junk()).map(([op, m]): Item => ({ line: JSON.stringify({ [op]: m }), action: false })),
    fc.constantFrom('', '{', 'not json', '{"index":{}} {"title":"two on a line"}', '[]').map((line): Item => ({ line, action: false })),
  );
  return fc.tuple(fc.array(item, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom('/_bulk', `/${ctx.writeIndex}/_bulk`, '/_bulk?refresh=true', `/${ctx.writeIndex}/_bulk?refresh=wait_for`, '/_bulk?pipeline=nope')).map(([items, newline, path]) => {
    // an indexed or created document is read back when its item says it was written — when every
    // line is an action (the items then line up with them) and no other action names its id
    const once = (id: unknown) => items.filter((i) => i.id === id).length === 1;
    const readBack = items.every((i) => i.action)
      ? items.flatMap((i, n) => (i.title !== undefined && typeof i.id === 'string' && once(i.id) ? [{ index: ctx.writeIndex, id: i.id, title: i.title, item: n }] : []))
      : [];
    return { nd: items.map((i) => i.line).join('\n') + (newline ? '\n' : ''), path, readBack };
  });
}

const readBackOf = (ctx: FuzzContext, id: string, d: unknown): ReadBack[] | undefined =>
  typeof (d as { title?: unknown } | null)?.title === 'string' ? [{ index: ctx.writeIndex, id, title: (d as { title: string }).title }] : undefined;

/** Single-document writes: `_doc` (PUT with an id, POST without), `_create`, `_update`. */
function docWrite(ctx: FuzzContext): fc.Arbitrary<{ method: string; path: string; json: unknown; readBack?: ReadBack[] }> {
  const at = (id: string) => `/${ctx.writeIndex}/_doc/${encodeURIComponent(id)}`;
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(docId(), writeDoc(ctx), fc.constantFrom('', '?refresh=true', '?op_type=create', '?version=1&version_type=external_gte', '?if_seq_no=0&if_primary_term=1')).map(([id, d, q]) => ({
      method: 'PUT',
      path: at(id) + q,
      json: d,
      readBack: readBackOf(ctx, id, d),
    })) },
    { weight: 1, arbitrary: writeDoc(ctx).map((d) => ({ method: 'POST', path: `/${ctx.writeIndex}/_doc`, json: d })) },
    { weight: 2, arbitrary: fc.tuple(docId(), writeDoc(ctx)).map(([id, d]) => ({ method: 'PUT', path: `/${ctx.writeIndex}/_create/${encodeURIComponent(id)}`, json: d, readBack: readBackOf(ctx, id, d) })) },
    { weight: 1, arbitrary: fc.tuple(docId(), fc.oneof({ weight: 3, arbitrary: fc.record({ doc: writeDoc(ctx), doc_as_upsert: fc.boolean() }, { requiredKeys: ['doc'] }) }, { weight: 1, arbitrary: fc.record({ doc: writeDoc(ctx), doc_as_upsert: junk(), upsert: writeDoc(ctx), detect_noop: junk() }, { requiredKeys: [] }) })).map(([id, u]) => ({ method: 'POST', path: `/${ctx.writeIndex}/_update/${encodeURIComponent(id)}`, json: u })) },
  );
}

/** The envelope: JSON as is, or spoilt bytes, codings, charsets. */
function envelope(json: unknown): fc.Arbitrary<{ headers: Record<string, string>; body: Buffer; how: string }> {
  const text = JSON.stringify(json) ?? 'null';
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ headers: { 'content-type': 'application/json' }, body: Buffer.from(text), how: 'json' }) },
    { weight: 1, arbitrary: fc.constant({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(text), how: 'gzip' }) },
    { weight: 1, arbitrary: fc.constantFrom('compress', 'gzip, gzip', 'gzip', 'br', 'deflate', 'x-unknown', ' , ').map((enc) => ({ headers: { 'content-type': 'application/json', 'content-encoding': enc }, body: Buffer.from(text), how: `encoding ${enc}` })) },
    { weight: 1, arbitrary: fc.constantFrom('latin1', 'utf-16', 'UTF-8', '"utf-8"', '').map((cs) => ({ headers: { 'content-type': `application/json; charset=${cs}` }, body: Buffer.from(text), how: `charset ${cs}` })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(b), how: 'random bytes' })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: Math.max(1, text.length - 1) }).map((n) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(text.slice(0, n)), how: 'truncated' })) },
  );
}

/** Every kind of request, or (`writes`) only the writes. */
export function fuzzRequests(ctx: FuzzContext, only?: 'writes'): fc.Arbitrary<FuzzRequest> {
  const withEnvelope = (json: fc.Arbitrary<unknown>, path: fc.Arbitrary<string>, shape: Shape) =>
    fc.tuple(json, path).chain(([j, p]) => envelope(j).map((e): FuzzRequest => ({ method: 'POST', path: p, headers: e.headers, body: e.body, shape, label: `${p} (${e.how}) ${JSON.stringify(j)?.slice(0, 300)}` })));
  const search = searchBody(ctx).chain(({ body, params }) =>
    fc.constantFrom(`/${ctx.index}/_search${params}`, `/${ctx.index}/_msearch${params}`).chain((path) => {
      const json = path.includes('_msearch') ? undefined : body;
      if (json !== undefined) return envelope(json).map((e): FuzzRequest => ({ method: 'POST', path, headers: e.headers, body: e.body, shape: 'es', label: `${path} (${e.how}) ${JSON.stringify(json).slice(0, 300)}` }));
      const nd = `{}\n${JSON.stringify(body)}\n`;
      return fc.constant<FuzzRequest>({ method: 'POST', path, headers: { 'content-type': 'application/x-ndjson' }, body: Buffer.from(nd), shape: 'es', label: `${path} ${nd.slice(0, 300)}` });
    }),
  );
  const admin = fc
    .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'), fc.constantFrom('/_vlrerank/health', '/_vlrerank/models', '/_vlrerank/models/no-such/_load', '/_vlrerank/models/%ZZ/_unload', '/_vlrerank/nope', '/_vlrerank/media?src=', '/_vlrerank/media?src=..%2F..%2Fetc%2Fpasswd', '/_vlrerank/metrics'))
    .map(([method, path]): FuzzRequest => ({ method, path, headers: {}, shape: 'es', label: `${method} ${path}` }));
  // a pipeline described as an Inference API endpoint, or refused as another task type (PUT/DELETE are the engine's, whose thin builds answer a string `error`)
  const inferenceGet = fc
    .constantFrom(`/_inference/${ctx.index}`, `/_inference/rerank/${ctx.index}`, `/_inference/sparse_embedding/${ctx.index}`, `/_inference/nope/${ctx.index}`)
    .map((path): FuzzRequest => ({ method: 'GET', path, headers: {}, shape: 'es', label: `GET ${path}` }));
  // a wrong method on a rerank-compatible path: the rerank API's 405
  const compatMethods = fc
    .tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'HEAD'), fc.constantFrom('/v1/rerank', '/v2/rerank', '/v1/score'))
    .map(([method, path]): FuzzRequest => ({ method, path, headers: {}, shape: 'compat', label: `${method} ${path}` }));
  const bulk = bulkBody(ctx).map(({ nd, path, readBack }): FuzzRequest => ({ method: 'POST', path, headers: { 'content-type': 'application/x-ndjson' }, body: Buffer.from(nd), shape: 'es', label: `${path} ${nd.slice(0, 300)}`, readBack }));
  const doc = docWrite(ctx).chain(({ method, path, json, readBack }) =>
    envelope(json).map((e): FuzzRequest => ({ method, path, headers: e.headers, body: e.body, shape: 'es', label: `${method} ${path} (${e.how}) ${JSON.stringify(json)?.slice(0, 300)}`, readBack: e.how === 'json' || e.how === 'gzip' ? readBack : undefined })),
  );
  if (only === 'writes') return fc.oneof(bulk, doc);
  return fc.oneof(
    { weight: 2, arbitrary: bulk },
    { weight: 2, arbitrary: doc },
    { weight: 3, arbitrary: withEnvelope(compatBody(ctx), fc.constantFrom('/v1/rerank', '/v2/rerank', '/rerank'), 'compat') },
    { weight: 2, arbitrary: withEnvelope(scoreBody(ctx), fc.constantFrom('/score', '/v1/score'), 'compat') },
    { weight: 2, arbitrary: withEnvelope(nativeBody(ctx), fc.constant('/_vlrerank/rerank'), 'es') },
    // ?timeout as ES reads it, and task types in the path a pipeline is not (text_embedding: a 400)
    { weight: 1, arbitrary: withEnvelope(inferenceBody(ctx), fc.constantFrom(`/_inference/rerank/${ctx.index}`, `/_inference/${ctx.index}`, `/_inference/text_embedding/${ctx.index}`, `/_inference/rerank/${ctx.index}?timeout=30s`, `/_inference/${ctx.index}?timeout=-1`), 'es') },
    // ml-commons' _predict: a pipeline is a text_similarity model (kmeans: a 400)
    { weight: 1, arbitrary: withEnvelope(predictBody(), fc.constantFrom(`/_plugins/_ml/models/${ctx.index}/_predict`, `/_plugins/_ml/_predict/text_similarity/${ctx.index}`, `/_plugins/_ml/_predict/kmeans/${ctx.index}`), 'es') },
    { weight: 3, arbitrary: search },
    { weight: 1, arbitrary: admin },
    { weight: 1, arbitrary: inferenceGet },
    { weight: 1, arbitrary: compatMethods },
  );
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Send one request; a hang past `timeoutMs` rejects. */
export async function send(url: string, r: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  const res = await request(url + r.path, { method: r.method as 'GET', headers: r.headers, body: r.body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** The oracle: undefined when the answer keeps every promise, else what is wrong. */
export function checkAnswer(r: FuzzRequest, a: FuzzAnswer): string | undefined {
  if (r.method === 'HEAD') return a.status >= 500 && a.status !== 502 && a.status !== 503 && a.status !== 504 ? `HEAD answered ${a.status}` : undefined;
  const ct = String(a.headers['content-type'] ?? '');
  if (r.path.startsWith('/_vlrerank/metrics') && a.status === 200) return undefined; // Prometheus text
  if (r.path.startsWith('/_vlrerank/media') && a.status < 400) return undefined; // a file
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(a.text) as Record<string, unknown>;
  } catch {
    return `${a.status} with a body that is not JSON (${ct}): ${a.text.slice(0, 200)}`;
  }
  if (a.status < 400) return undefined;
  if (r.shape === 'compat') {
    if (body.object !== 'error' || typeof body.message !== 'string' || body.code !== a.status) return `${a.status} not in the rerank API's error shape: ${a.text.slice(0, 300)}`;
  } else {
    const err = body.error as { type?: unknown; reason?: unknown } | undefined;
    if (!err || typeof err !== 'object' || typeof err.type !== 'string' || body.status !== a.status) return `${a.status} not ES-shaped: ${a.text.slice(0, 300)}`;
  }
  if (a.status >= 500) {
    const code = ((body.error as { vlrerank_code?: string } | undefined)?.vlrerank_code ?? '') as string;
    if (a.status === 500 || !ALLOWED_5XX.has(code)) return `${a.status} ${code || '(engine)'}: ${a.text.slice(0, 300)}`;
  }
  return undefined;
}

/** A document a write answered 2xx for must have stored its text: read it back through the proxy. */
export async function readBackProblem(url: string, r: FuzzRequest, a: FuzzAnswer, timeoutMs: number, report: FuzzReport): Promise<string | undefined> {
  if (!r.readBack?.length || a.status >= 300) return undefined;
  let items: Array<Record<string, { status?: number }>> = [];
  if (r.readBack.some((b) => b.item !== undefined)) {
    items = (JSON.parse(a.text) as { items?: typeof items }).items ?? [];
  }
  for (const { index, id, title, item } of r.readBack) {
    const status = item === undefined ? a.status : Object.values(items[item] ?? {})[0]?.status;
    if (status === undefined || status >= 300) continue;
    report.readBacks++;
    const got = await send(url, { method: 'GET', path: `/${index}/_doc/${encodeURIComponent(id)}`, headers: {}, shape: 'es', label: '' }, timeoutMs);
    let source: { title?: unknown } | undefined;
    try {
      source = (JSON.parse(got.text) as { _source?: { title?: unknown } })._source;
    } catch {
      return `written (${status}) but its read-back is not JSON (${got.status}): ${got.text.slice(0, 200)}`;
    }
    if (source?.title !== title) return `${id} written (${status}) but read back ${got.status} with title ${JSON.stringify(source?.title)?.slice(0, 80)}: ${got.text.slice(0, 200)}`;
  }
  return undefined;
}

export interface FuzzReport {
  requests: number;
  statuses: Record<string, number>;
  failures: Array<{ request: string; problem: string }>;
  /** Documents written 2xx and read back. */
  readBacks: number;
  ms: number;
}

/** Run `runs` generated requests against `url`; fast-check shrinks the first failure it finds. */
export async function runFuzz(url: string, ctx: FuzzContext, opts: { runs: number; seed?: number; timeoutMs?: number; only?: 'writes' }): Promise<FuzzReport> {
  const report: FuzzReport = { requests: 0, statuses: {}, failures: [], readBacks: 0, ms: 0 };
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const result = await fc.check(
    fc.asyncProperty(fuzzRequests(ctx, opts.only), async (r) => {
      report.requests++;
      let a: FuzzAnswer;
      try {
        a = await send(url, r, timeoutMs);
      } catch (e) {
        report.failures.push({ request: r.label, problem: `no answer: ${(e as Error).message}` });
        return false;
      }
      report.statuses[a.status] = (report.statuses[a.status] ?? 0) + 1;
      const problem = checkAnswer(r, a) ?? (await readBackProblem(url, r, a, timeoutMs, report));
      if (problem) report.failures.push({ request: r.label, problem });
      return problem === undefined;
    }),
    { numRuns: opts.runs, seed: opts.seed, endOnFailure: false, interruptAfterTimeLimit: undefined },
  );
  report.ms = Math.round(performance.now() - t0);
  if (result.failed && result.counterexample) report.failures.unshift({ request: `shrunk: ${(result.counterexample[0] as FuzzRequest).label}`, problem: `seed ${result.seed}, path ${result.counterexamplePath}` });
  return report;
}
