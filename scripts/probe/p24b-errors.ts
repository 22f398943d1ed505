/**
 * Held-out probe round 24b: every error the code can raise, reached from outside. Sends each
 * request of a table (valid bodies with one field turned into a wrong type or value, broken bodies,
 * headers and paths) to a running `vlrerank serve`, and checks each answer: a 4xx for a client's
 * mistake (a 5xx only where the table says a server fault is expected), the API's own error shape
 * (ES-shaped on search paths and /_vlrerank/*, the rerank API's shape on /v1|v2/rerank, /rerank,
 * /score), a reason naming the field, no stack, no server path, no "internal error" — and that the
 * server still answers after all of it.
 *
 *   npx tsx scripts/probe/p24b-errors.ts http://127.0.0.1:19532 [--only WORD] [--verbose]
 */
import { DATA } from '../../test/helpers/paths.js';

const base = process.argv[2] ?? 'http://127.0.0.1:19532';
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const verbose = process.argv.includes('--verbose');

type Shape = 'es' | 'compat' | 'tei' | 'any';
interface Probe {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  shape: Shape;
  /** Accepted statuses (default: any 4xx). */
  status?: number[];
  /** Words the reason must hold (the field named). */
  names?: string[];
}

const ADMIN = { authorization: 'Bearer p24b-admin-token' };
const json = { 'content-type': 'application/json' };

/** Wrong values of every JSON type, for one field at a time. */
const WRONG: Array<[string, unknown]> = [
  ['null', null],
  ['number', 7],
  ['negative', -1],
  ['float', 1.5],
  ['string', 'x'],
  ['empty string', ''],
  ['array', []],
  ['array of null', [null]],
  ['object', {}],
  ['bool', true],
  ['proto', JSON.parse('{"__proto__": {"x": 1}}')],
];
/** Number spellings JSON.parse reads as Infinity, 0 or -0. */
const RAW_NUMBERS = ['1e400', '-1e400', '1e-400', '-0', '9007199254740993', '1e21'];

function mutations(shape: Shape, path: string, valid: Record<string, unknown>, fields: string[], prefix = ''): Probe[] {
  const out: Probe[] = [];
  for (const f of fields) {
    for (const [label, v] of WRONG) {
      out.push({ name: `${path} ${prefix}${f}=${label}`, path, method: 'POST', headers: json, body: JSON.stringify({ ...valid, [f]: v }), shape, status: [200, 400, 413, 415] });
    }
    for (const raw of RAW_NUMBERS) {
      const text = JSON.stringify({ ...valid, [f]: 0 }).replace(`"${f}":0`, `"${f}":${raw}`);
      out.push({ name: `${path} ${prefix}${f}=${raw}`, path, method: 'POST', headers: json, body: text, shape, status: [200, 400] });
    }
  }
  return out;
}

const native = { query: { text: 'apple' }, documents: [{ text: 'an apple' }, { text: 'a car' }] };
const compat = { model: 'x', query: 'apple', documents: ['an apple', 'a car'] };
const score = { text_1: 'apple', text_2: ['an apple', 'a car'] };
const tei = { query: 'apple', texts: ['an apple', 'a car'] };
const search = { query: { match: { text: 'cells' } }, ext: { vlrerank: { query: { text: 'cells' } } } };

const probes: Probe[] = [
  ...mutations('es', '/_vlrerank/rerank', native, ['query', 'documents', 'top_n', 'fps', 'max_frames', 'weights', 'backend', 'explain', 'instruction', 'strict', 'ocr']),
  ...mutations('compat', '/v1/rerank', compat, ['query', 'documents', 'top_n', 'return_documents', 'rank_fields', 'max_tokens_per_doc', 'truncate_prompt_tokens', 'instruction', 'fps', 'max_frames', 'model']),
  ...mutations('compat', '/v2/rerank', compat, ['documents', 'top_n']),
  ...mutations('compat', '/score', score, ['text_1', 'text_2', 'truncate_prompt_tokens']),
  ...mutations('tei', '/rerank', tei, ['texts', 'query', 'raw_scores', 'return_text', 'truncate', 'truncation_direction']),
  ...mutations('es', '/p24b-kb1/_search', search, ['size', 'from', 'query']),
  ...mutations('es', '/p24b-kb1/_search', { ...search, ext: undefined }, ['ext']),
  ...['query', 'window', 'budget_ms', 'explain', 'pipeline', 'min_score', 'knn_boost', 'instruction', 'enabled'].flatMap((f) =>
    WRONG.map(([label, v]): Probe => ({ name: `/_search ext.vlrerank.${f}=${label}`, path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, ext: { vlrerank: { query: { text: 'cells' }, [f]: v } } }), shape: 'es', status: [200, 400] })),
  ),
  ...['window', 'budget_ms', 'min_score', 'knn_boost'].flatMap((f) =>
    RAW_NUMBERS.map((raw): Probe => ({ name: `/_search ext.vlrerank.${f}=${raw}`, path: '/p24b-kb1/_search', method: 'POST', headers: json, body: `{"query":{"match":{"text":"cells"}},"ext":{"vlrerank":{"query":{"text":"cells"},"${f}":${raw}}}}`, shape: 'es', status: [200, 400] })),
  ),
  // nested: documents' items
  ...WRONG.map(([label, v]): Probe => ({ name: `/v1/rerank documents[0]=${label}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, documents: [v, 'x'] }), shape: 'compat', status: [200, 400] })),
  ...WRONG.map(([label, v]): Probe => ({ name: `/v1/rerank documents[0].content[0]=${label}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, documents: [{ content: [v] }] }), shape: 'compat', status: [200, 400] })),
  ...WRONG.map(([label, v]): Probe => ({ name: `/v1/rerank documents[0].image=${label}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, documents: [{ image: v, text: 'x' }] }), shape: 'compat', status: [200, 400] })),
  ...WRONG.map(([label, v]): Probe => ({ name: `/v1/rerank documents[0].image_url=${label}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, documents: [{ content: [{ type: 'image_url', image_url: v }] }] }), shape: 'compat', status: [200, 400] })),
  ...WRONG.map(([label, v]): Probe => ({ name: `/_vlrerank/rerank documents[0].fps=${label}`, path: '/_vlrerank/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...native, documents: [{ video: 'x.mp4', fps: v }] }), shape: 'es', status: [200, 400] })),
  ...WRONG.map(([label, v]): Probe => ({ name: `/v1/rerank rank_fields doc=${label}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, rank_fields: ['title'], documents: [{ title: v }] }), shape: 'compat', status: [200, 400] })),
  { name: 'rank_fields constructor', path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, rank_fields: ['constructor', 'title'], documents: [{ title: 'an apple' }] }), shape: 'compat', status: [200] },
  { name: 'rank_fields toString', path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, rank_fields: ['toString'], documents: [{ title: 'an apple' }] }), shape: 'compat', status: [400], names: ['documents[0]'] },
  // media references the client gets wrong
  ...['data:image/png;base64,!!!!', 'data:image/png;base64,', 'data:,', 'data:image/jpeg;base64,' + 'A'.repeat(100), 'file:///etc/passwd', '/etc/passwd', '../../etc/passwd', 'http://127.0.0.1:19200/', 'http://[::1]:1/', 'http://%zz/', 'http://a b/', 'ftp://x/y.jpg', 'http://user:secret@169.254.169.254/x.jpg', '\u0000', 'x'.repeat(5000), 'https://', '//x/y.jpg', 'C:\\x.jpg', `${DATA}`, `${DATA}/grocery-store-products/catalog.jsonl`, `${DATA}/nope.jpg`]
    .flatMap((img): Probe[] => [
      { name: `/_vlrerank/rerank strict image ${img.slice(0, 40)}`, path: '/_vlrerank/rerank', method: 'POST', headers: json, body: JSON.stringify({ query: { text: 'apple' }, documents: [{ image: img }], strict: true }), shape: 'es', status: [400, 403, 404, 413, 415, 502] },
      { name: `/v1/rerank query image ${img.slice(0, 40)}`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ query: { image: img }, documents: ['apple'] }), shape: 'compat', status: [400, 403, 404, 413, 415, 502] },
    ]),
  // broken bodies
  ...['/_vlrerank/rerank', '/v1/rerank', '/v2/rerank', '/rerank', '/score', '/v1/score', '/p24b-kb1/_search', '/p24b-kb1/_msearch', '/_msearch'].flatMap((p): Probe[] => {
    const shape: Shape = p.startsWith('/_vlrerank') || p.includes('_search') || p.includes('_msearch') ? 'es' : 'compat';
    return [
      { name: `${p} bad json`, path: p, method: 'POST', headers: json, body: '{"query":', shape },
      { name: `${p} json null`, path: p, method: 'POST', headers: json, body: 'null', shape, status: [200, 400] },
      { name: `${p} json number`, path: p, method: 'POST', headers: json, body: '12', shape, status: [200, 400] },
      { name: `${p} json string`, path: p, method: 'POST', headers: json, body: '"x"', shape, status: [200, 400] },
      { name: `${p} json array`, path: p, method: 'POST', headers: json, body: '[]', shape, status: [200, 400] },
      { name: `${p} bad utf8`, path: p, method: 'POST', headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), shape, status: [200, 400] },
      { name: `${p} BOM`, path: p, method: 'POST', headers: json, body: '\ufeff{}', shape, status: [200, 400] },
      { name: `${p} deep`, path: p, method: 'POST', headers: json, body: '['.repeat(5000) + ']'.repeat(5000), shape },
      { name: `${p} gzip lie`, path: p, method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, body: '{}', shape },
      { name: `${p} br`, path: p, method: 'POST', headers: { ...json, 'content-encoding': 'compress' }, body: '{}', shape },
      { name: `${p} charset latin1`, path: p, method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}', shape, status: [200, 400, 415] },
      { name: `${p} charset bogus`, path: p, method: 'POST', headers: { 'content-type': 'application/json; charset=nope' }, body: '{}', shape, status: [200, 400, 415] },
      { name: `${p} budget header`, path: p, method: 'POST', headers: { ...json, 'x-vlrerank-budget-ms': 'abc' }, body: JSON.stringify(p.includes('score') ? score : p.includes('search') ? search : native), shape, status: [200, 400] },
      { name: `${p} content-length lie`, path: p, method: 'POST', headers: { ...json, 'content-length': '2' }, body: '{}', shape, status: [200, 400] },
    ];
  }),
  // admin and paths
  { name: 'models load unknown', path: '/_vlrerank/models/nope/_load', method: 'POST', headers: ADMIN, shape: 'es', status: [404] },
  { name: 'models load bad pct', path: '/_vlrerank/models/%ZZ/_load', method: 'POST', headers: ADMIN, shape: 'es', status: [400, 404] },
  { name: 'models load no token', path: '/_vlrerank/models/bge-small-en-v1.5/_load', method: 'POST', shape: 'es', status: [401] },
  { name: 'models load token array', path: '/_vlrerank/models/bge-small-en-v1.5/_load', method: 'POST', headers: { 'x-vlrerank-admin-token': 'a' }, shape: 'es', status: [401] },
  { name: 'models load proto', path: '/_vlrerank/models/__proto__/_load', method: 'POST', headers: ADMIN, shape: 'es', status: [404] },
  { name: 'models load constructor', path: '/_vlrerank/models/constructor/_load', method: 'POST', headers: ADMIN, shape: 'es', status: [404] },
  { name: 'pipelines get unknown', path: '/_vlrerank/pipelines/nope', shape: 'es', status: [404] },
  { name: 'pipelines get proto', path: '/_vlrerank/pipelines/__proto__', shape: 'es', status: [404] },
  { name: 'pipelines get constructor', path: '/_vlrerank/pipelines/constructor', shape: 'es', status: [404] },
  { name: 'pipelines get toString', path: '/_vlrerank/pipelines/toString', shape: 'es', status: [404] },
  { name: 'pipelines get pct', path: '/_vlrerank/pipelines/%E0%A4%A', shape: 'es', status: [400, 404] },
  { name: 'pipelines reload no token', path: '/_vlrerank/pipelines/_reload', method: 'POST', shape: 'es', status: [401] },
  { name: 'media no src', path: '/_vlrerank/media', shape: 'es', status: [400, 403, 404] },
  { name: 'media src array', path: '/_vlrerank/media?src=a&src=b', shape: 'es', status: [400, 403, 404] },
  { name: 'media src outside', path: '/_vlrerank/media?src=/etc/passwd', shape: 'es', status: [403, 404] },
  { name: 'media src dir', path: `/_vlrerank/media?src=${DATA}`, shape: 'es', status: [403, 404] },
  { name: 'media src missing', path: `/_vlrerank/media?src=${DATA}/nope.jpg`, shape: 'es', status: [403, 404] },
  { name: 'media src nul', path: '/_vlrerank/media?src=%00', shape: 'es', status: [400, 403, 404] },
  { name: 'media bad pct', path: '/_vlrerank/media?src=%ZZ', shape: 'es', status: [400, 403, 404] },
  { name: 'media strip bad', path: `/_vlrerank/media?src=${DATA}/intel-sample-videos/x.mp4&strip=99`, shape: 'es', status: [400, 403, 404] },
  { name: 'health bad', path: '/_vlrerank/health?live=%ZZ', shape: 'any', status: [200, 400] },
  { name: 'unknown vlrerank path', path: '/_vlrerank/nope', shape: 'es', status: [404] },
  { name: 'unknown vlrerank pct', path: '/_vlrerank/%ZZ', shape: 'es', status: [400, 404] },
  { name: 'search bad pct index', path: '/%ZZ/_search', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [400, 404] },
  { name: 'search index bad char', path: '/p24b-kb1,%00/_search', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [400, 404] },
  { name: 'search_pipeline unknown', path: '/p24b-kb1/_search?search_pipeline=nope', method: 'POST', headers: json, body: JSON.stringify({ query: { match: { text: 'cells' } } }), shape: 'es', status: [200, 400, 404] },
  { name: 'search size=abc', path: '/p24b-kb1/_search?size=abc', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [400] },
  { name: 'search from=-1', path: '/p24b-kb1/_search?from=-1', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [400] },
  { name: 'search size=1e400', path: '/p24b-kb1/_search?size=1e400', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [400] },
  { name: 'search q=', path: '/p24b-kb1/_search?q=cells&size=99999999999', shape: 'es', status: [400] },
  { name: 'search filter_path bad', path: '/p24b-kb1/_search?filter_path=%ZZ', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [200, 400] },
  { name: 'search scroll', path: '/p24b-kb1/_search?scroll=1m', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [200, 400] },
  { name: 'search source param bad', path: '/p24b-kb1/_search?source=%7B&source_content_type=application/json', shape: 'es', status: [400] },
  { name: 'search template bad', path: '/p24b-kb1/_search/template', method: 'POST', headers: json, body: JSON.stringify({ source: 7, params: 'x' }), shape: 'any', status: [400] },
  { name: 'search template ext', path: '/p24b-kb1/_search/template', method: 'POST', headers: json, body: JSON.stringify({ source: '{"query":{"match":{"text":"{{q}}"}},"ext":{"vlrerank":{"query":{"text":"{{q}}"}}}}', params: { q: 'x"y' } }), shape: 'any', status: [200, 400] },
  { name: 'msearch bad header', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":7}\n' + JSON.stringify(search) + '\n', shape: 'es', status: [200, 400] },
  { name: 'msearch header not obj', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '[]\n' + JSON.stringify(search) + '\n', shape: 'es', status: [200, 400] },
  { name: 'msearch body not obj', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n[1]\n', shape: 'es', status: [200, 400] },
  { name: 'msearch bad ext in body', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n{"ext":{"vlrerank":{"window":"x"}}}\n', shape: 'es', status: [200, 400] },
  { name: 'msearch no trailing', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n' + JSON.stringify(search), shape: 'es', status: [200, 400] },
  { name: 'msearch header only', path: '/p24b-kb1/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n', shape: 'es', status: [200, 400] },
  { name: 'msearch index array', path: '/_msearch', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":["p24b-kb1",7]}\n' + JSON.stringify(search) + '\n', shape: 'es', status: [200, 400] },
  { name: 'msearch max_concurrent bad', path: '/p24b-kb1/_msearch?max_concurrent_searches=abc', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n' + JSON.stringify(search) + '\n', shape: 'es', status: [400] },
  // round 24b: a max_concurrent_searches the engine refuses is its 400 (vlrerank answered 200)
  ...['abc', '0', '-1', '1.5', '', '2147483648', '0x10', '1e2'].map((v): Probe => ({ name: `msearch max_concurrent_searches=${v}`, path: `/p24b-kb1/_msearch?max_concurrent_searches=${encodeURIComponent(v)}`, method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}\n' + JSON.stringify(search) + '\n', shape: 'es', status: [400], names: ['max'] })),
  // round 24b: rank_fields naming an inherited method a document lacks is left out (was a 400)
  ...['constructor', 'toString', 'valueOf', '__proto__'].map((f): Probe => ({ name: `rank_fields [${f}, title]`, path: '/v1/rerank', method: 'POST', headers: json, body: JSON.stringify({ ...compat, rank_fields: [f, 'title'], documents: [{ title: 'an apple' }] }), shape: 'compat', status: [200] })),
  { name: 'rank_eval bad', path: '/p24b-kb1/_rank_eval', method: 'POST', headers: json, body: JSON.stringify({ requests: 7 }), shape: 'any', status: [400] },
  { name: 'rank_eval request not obj', path: '/p24b-kb1/_rank_eval', method: 'POST', headers: json, body: JSON.stringify({ requests: [7], metric: { precision: {} } }), shape: 'any', status: [400] },
  { name: 'rank_eval ratings bad', path: '/p24b-kb1/_rank_eval', method: 'POST', headers: json, body: JSON.stringify({ requests: [{ id: 'a', request: search, ratings: 'x' }], metric: { precision: {} } }), shape: 'any', status: [200, 400] },
  { name: 'search retriever bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ retriever: 7, ext: search.ext }), shape: 'es', status: [400] },
  { name: 'search retriever text_similarity bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ retriever: { text_similarity_reranker: { retriever: 7, field: 'text', inference_text: 'x', inference_id: 'vlrerank' } } }), shape: 'es', status: [400] },
  { name: 'search retriever rrf bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ retriever: { rrf: { retrievers: [null, 7] } }, ext: search.ext }), shape: 'es', status: [400] },
  { name: 'search rescore bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { match: { text: 'x' } }, rescore: 7, ext: search.ext }), shape: 'es', status: [200, 400] },
  { name: 'search sort bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, sort: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search _source bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, _source: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search _source includes bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, _source: { includes: 7, excludes: [null] } }), shape: 'es', status: [200, 400] },
  { name: 'search fields bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, fields: [7, null, {}] }), shape: 'es', status: [200, 400] },
  { name: 'search stored_fields bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, stored_fields: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search knn bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, knn: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search collapse bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, collapse: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search aggs bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, aggs: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search highlight bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, highlight: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search search_after bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, search_after: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search pit bad', path: '/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, pit: 7 }), shape: 'es', status: [200, 400] },
  { name: 'search pit id bad', path: '/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, pit: { id: 7 } }), shape: 'es', status: [200, 400, 404] },
  { name: 'search query bool bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { bool: { must: 7, should: [null], must_not: 'x' } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query match bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { match: { text: { query: 7 } } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query multi_match bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { multi_match: { query: null, fields: 7 } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query qs bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { query_string: { query: ['x'] } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query sqs bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { simple_query_string: 7 } , ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query term bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { match_phrase: { text: null } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query empty key', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { '': {} }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query dis_max bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { dis_max: { queries: 7 } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query function_score bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { function_score: { query: 7 } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query nested bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { nested: { query: null } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query constant bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { constant_score: { filter: [] } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'search query boosting bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ query: { boosting: { positive: 'x', negative: 7 } }, ext: { vlrerank: {} } }), shape: 'es', status: [200, 400] },
  { name: 'groc image query bad', path: '/p24b-groc1/_search', method: 'POST', headers: json, body: JSON.stringify({ ext: { vlrerank: { query: { image: 'data:image/png;base64,AAAA' } } } }), shape: 'es', status: [200, 400, 415] },
  { name: 'groc image query outside', path: '/p24b-groc1/_search', method: 'POST', headers: json, body: JSON.stringify({ ext: { vlrerank: { query: { image: '/etc/hostname.jpg' } } } }), shape: 'es', status: [400, 403, 404] },
  { name: 'groc video query', path: '/p24b-groc1/_search', method: 'POST', headers: json, body: JSON.stringify({ ext: { vlrerank: { query: { video: `${DATA}/nope.mp4` } } } }), shape: 'es', status: [400, 403, 404] },
  { name: 'explain bad', path: '/p24b-kb1/_search?explain=maybe', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [200, 400] },
  { name: 'track_total_hits bad', path: '/p24b-kb1/_search', method: 'POST', headers: json, body: JSON.stringify({ ...search, track_total_hits: 'x' }), shape: 'es', status: [200, 400] },
  { name: 'rest_total_hits_as_int', path: '/p24b-kb1/_search?rest_total_hits_as_int=x', method: 'POST', headers: json, body: JSON.stringify(search), shape: 'es', status: [200, 400] },
  { name: 'ingest bulk bad line', path: '/p24b-kb1/_bulk', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":{}}\n{"title":7,"text":["x",{"a":1}]}\n', shape: 'any', status: [200, 400] },
  { name: 'ingest bulk action bad', path: '/p24b-kb1/_bulk', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":7}\n{}\n', shape: 'es', status: [200, 400] },
  { name: 'ingest bulk not json', path: '/p24b-kb1/_bulk', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":{}}\n{"title"\n', shape: 'es', status: [200, 400] },
  { name: 'ingest doc image bad', path: '/p24b-groc1/_doc/x1', method: 'PUT', headers: json, body: JSON.stringify({ title: 'x', image: 7 }), shape: 'es', status: [200, 201, 400] },
  { name: 'ingest doc image outside', path: '/p24b-groc1/_doc/x2', method: 'PUT', headers: json, body: JSON.stringify({ title: 'x', image: '/etc/passwd' }), shape: 'es', status: [200, 201, 400, 403] },
  { name: 'ingest doc array body', path: '/p24b-kb1/_doc/x3', method: 'PUT', headers: json, body: '[1]', shape: 'es', status: [400] },
  { name: 'ingest update bad', path: '/p24b-kb1/_update/x3', method: 'POST', headers: json, body: JSON.stringify({ doc: 7 }), shape: 'es', status: [400, 404] },
  { name: 'ingest update script', path: '/p24b-kb1/_update/x3', method: 'POST', headers: json, body: JSON.stringify({ script: 'x', upsert: 7 }), shape: 'es', status: [400, 404] },
  { name: 'ingest doc bad id pct', path: '/p24b-kb1/_doc/%ZZ', method: 'PUT', headers: json, body: '{}', shape: 'es', status: [400, 404] },
  { name: 'ingest create bad op_type', path: '/p24b-kb1/_doc/x4?op_type=nope', method: 'PUT', headers: json, body: '{"title":"x"}', shape: 'es', status: [400] },
  { name: 'ingest bulk gzip lie', path: '/p24b-kb1/_bulk', method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: '{}', shape: 'es', status: [400, 415] },
  { name: 'ingest doc gzip lie', path: '/p24b-kb1/_doc/x5', method: 'PUT', headers: { ...json, 'content-encoding': 'gzip' }, body: '{}', shape: 'es', status: [400, 415] },
];

interface Outcome { probe: Probe; status: number; problems: string[]; body: string }

function shapeProblems(shape: Shape, status: number, text: string, ct: string): string[] {
  if (status < 400 || shape === 'any') return [];
  const p: string[] = [];
  if (!ct.includes('json')) return [`content-type ${ct}`];
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return ['not JSON'];
  }
  const err = b.error as Record<string, unknown> | string | undefined;
  if (shape === 'es') {
    if (typeof err !== 'object' || err === null || typeof err.type !== 'string' || typeof err.reason !== 'string' || b.status !== status) p.push('not ES-shaped');
  } else if (shape === 'compat') {
    if (typeof b.message !== 'string' || typeof b.detail !== 'string' || typeof err !== 'object') p.push('not compat-shaped');
  } else if (shape === 'tei') {
    if (typeof b.error !== 'string' && typeof b.message !== 'string') p.push('not TEI/compat-shaped');
  }
  return p;
}

async function send(pr: Probe): Promise<Outcome> {
  const body = pr.body === undefined ? undefined : typeof pr.body === 'string' || Buffer.isBuffer(pr.body) ? pr.body : JSON.stringify(pr.body);
  const ac = AbortSignal.timeout(60_000);
  let res: Response;
  try {
    res = await fetch(base + pr.path, { method: pr.method ?? "GET", headers: pr.headers, body: typeof body === "string" || body === undefined ? body : new Uint8Array(body), signal: ac });
  } catch (e) {
    return { probe: pr, status: 0, problems: [`no answer: ${(e as Error).message} ${(e as { cause?: Error }).cause?.message ?? ''}`], body: '' };
  }
  const text = await res.text();
  const problems: string[] = [];
  const ok = (pr.status ? pr.status.includes(res.status) : res.status >= 400 && res.status < 500) || (pr.shape === 'tei' && res.status === 422);
  if (!ok) problems.push(`status ${res.status}`);
  if (res.status >= 500 && res.status !== 502 && res.status !== 503 && res.status !== 504) problems.push(`5xx ${res.status}`);
  problems.push(...shapeProblems(pr.shape, res.status, text, res.headers.get('content-type') ?? ''));
  if (/internal error|internal_server_error/i.test(text)) problems.push('internal error');
  if (/\n\s+at |\.ts:\d+|\/work\/wt-|node_modules/.test(text)) problems.push('leaks a stack or server path');
  if (/p24b-admin-token|:secret@/.test(text)) problems.push('leaks a credential');
  if (pr.names && !pr.names.every((n) => text.includes(n))) problems.push(`reason does not name ${pr.names.join(', ')}`);
  return { probe: pr, status: res.status, problems, body: text };
}

const chosen = probes.filter((p) => !only || p.name.includes(only));
let bad = 0;
const statuses = new Map<number, number>();
for (const pr of chosen) {
  const o = await send(pr);
  statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
  if (o.problems.length) bad++;
  if (o.problems.length || verbose) console.log(`${o.problems.length ? 'BAD ' : 'ok  '}${o.status} ${pr.name}: ${o.problems.join('; ')}\n     ${o.body.slice(0, 400).replace(/\n/g, ' ')}`);
}
const alive = await fetch(base + '/_vlrerank/health?live').then((r) => r.status, () => 0);
console.log(`\n${chosen.length} probes, ${bad} with a problem; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; health after: ${alive}`);
