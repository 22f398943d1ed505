/**
 * A reranked answer in the format the client asked for (held-out probe round 23b): ops scripts run
 * `curl …/_search?format=yaml`, and some clients send `Accept: application/cbor` or `application/smile`.
 * The engines answer any search in the asked format; a reranked search on an index with a default
 * pipeline answered JSON, so the tool's YAML/CBOR/Smile reader failed only through the proxy.
 *
 * The engine itself is the decoder: each answer is written back to it as a document with the
 * answer's content type (Jackson's YAML, CBOR and Smile readers) and read out as JSON, which must
 * equal the reranked JSON answer (less `took` and timings). Values cover what each encoder branches
 * on: ints of every width, a long past 2^32, negatives, doubles, null, empty, short and long ASCII
 * and Unicode strings and keys. Elasticsearch 8.19 and OpenSearch 2.19.
 */
import { gzipSync } from 'node:zlib';
import { decode as decodeCbor } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { vlrError } from '../../../src/errors.js';
import type { Scorer, ScoredDocument } from '../../../src/search/hit-scorer.js';
import { ENGINES, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'answer-formats-it';
const DECODED = 'answer-formats-decoded-it';
/** Values whose writing differs by format, as JSON text (JSON.parse alone would round the longs). */
const VALUES = `${INDEX}-values`;
const VALUE_DOCS = [
  '{"title":"sweet apple","id":9007199254740993,"u64":18446744073709551615,"min":-9223372036854775808,"exact":9007199254740994,"one":1.0,"negzero":-0.0,"half":0.5,"e":1e300,"small":1e-7,"big":5000000000,"uni":"crème 甜 😀","eo":{},"ea":[],"nested":{"a":[{},[],null,true,-3000000000]}}',
  '{"title":"sweet honey","id":9223372036854775807,"two":2.0,"huge":123456789012345678901234567890}',
];
/** The model fails (as onnxruntime does on a corrupt session): a fault the real model cannot be made to produce on demand. */
class FailingScorer implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_MODEL_RUNTIME', 'onnxruntime failed to run the text embedder');
  }
}
const LONG_KEY = 'a_key_longer_than_sixty_four_bytes_which_smile_writes_as_a_long_name_token';
const docs = [
  { title: 'apple pie', text: 'a sweet baked dessert', n: 3, neg: -7, big: 5_000_000_000, ratio: 1.5, none: null, empty: '' },
  { title: 'crème brûlée — 甜点', text: 'sweet ' + 'caramelised custard, très sucré, 很甜 '.repeat(4), n: 300, neg: -70000, ratio: -0.25, 'clé': 'valeur' },
  { title: 'honey cake', text: 'a sweet sticky dessert ' + 'x'.repeat(80), n: 70000, neg: -3_000_000_000, [LONG_KEY]: ['a', 1, 2.5, false] },
];
const FORMATS = ['yaml', 'cbor', 'smile'] as const;

/** The answer less what differs between two runs of the same search. */
function stable(b: any): any {
  delete b.took;
  delete b.vlrerank?.timings;
  for (const r of b.responses ?? []) stable(r);
  return b;
}

describe.each(ENGINES)('a reranked answer in the asked format (%s)', (engine) => {
  let p: SearchProxy;
  const engineFetch = (path: string, init: RequestInit = {}) => fetch(`${p.engineUrl}${path}`, init);
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'answer-formats.yaml': textPipeline('answer-formats', `${INDEX}*`, { default: true }) }) });
    for (const i of [INDEX, DECODED, VALUES]) await engineFetch(`/${i}`, { method: 'DELETE' });
    const json = { 'content-type': 'application/json' };
    // only the texts searched are mapped: the other fields are there for their values' encodings
    await engineFetch(`/${INDEX}`, { method: 'PUT', headers: json, body: JSON.stringify({ settings: { number_of_replicas: 0 }, mappings: { dynamic: false, properties: { title: { type: 'text' }, text: { type: 'text' } } } }) });
    // the decoded answers are kept as documents only: nothing mapped, any shape accepted
    await engineFetch(`/${DECODED}`, { method: 'PUT', headers: json, body: JSON.stringify({ settings: { number_of_replicas: 0 }, mappings: { enabled: false } }) });
    const bulk = docs.flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
    const r = await engineFetch('/_bulk?refresh=true', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(((await r.json()) as any).errors).toBe(false);
    await engineFetch(`/${VALUES}`, { method: 'PUT', headers: json, body: JSON.stringify({ settings: { number_of_replicas: 0 }, mappings: { dynamic: false, properties: { title: { type: 'text' } } } }) });
    const values = VALUE_DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: VALUES, _id: String(i) } }), d]).join('\n') + '\n';
    const v = await engineFetch('/_bulk?refresh=true', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: values });
    expect(((await v.json()) as any).errors).toBe(false);
  });
  afterAll(async () => {
    for (const i of [INDEX, DECODED, VALUES]) await engineFetch(`/${i}`, { method: 'DELETE' }).catch(() => undefined);
    await p?.close();
  });

  /** The engine's reading of `bytes` as `format`, as JSON. */
  async function decoded(bytes: Buffer, format: string): Promise<any> {
    const put = await engineFetch(`/${DECODED}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': `application/${format}` }, body: new Uint8Array(bytes) });
    expect(put.status, `${format}: ${await put.clone().text()}`).toBeLessThan(300);
    return (await engineFetch(`/${DECODED}/_source/1`)).json();
  }

  it('_search: ?format= and Accept give YAML, CBOR and Smile that the engine reads as the JSON answer', async () => {
    const body = JSON.stringify({ size: 3, query: { match: { text: 'sweet' } } });
    const post = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}/${INDEX}/_search${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const json = stable((await (await post('')).json()) as any);
    expect(json.vlrerank?.pipeline, JSON.stringify(json).slice(0, 300)).toBe('answer-formats');
    expect(json.hits.hits).toHaveLength(3);
    for (const format of FORMATS) {
      for (const [how, r] of [['param', await post(`?format=${format}`)], ['accept', await post('', { accept: `application/${format}` })]] as const) {
        expect(r.status, `${format} ${how}`).toBe(200);
        expect(r.headers.get('content-type'), `${format} ${how}`).toBe(`application/${format}`);
        const bytes = Buffer.from(await r.arrayBuffer());
        if (format === 'yaml') {
          expect(bytes.toString('utf8')).toMatch(/^---\ntook: \d+\ntimed_out: false\n/);
          expect(stable(parse(bytes.toString('utf8')))).toEqual(json);
        }
        expect(stable(await decoded(bytes, format)), `${format} ${how}`).toEqual(json);
      }
    }
  });

  it("the engine's refusal of the first stage (a missing index of the pipeline's pattern: 404) comes in the asked format too", async () => {
    const post = (path: string) => fetch(`${p.url}/${INDEX}-missing/_search${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { text: 'sweet' } } }) });
    const json = (await (await post('')).json()) as any;
    expect(json.error?.type).toBe('index_not_found_exception');
    for (const format of FORMATS) {
      const r = await post(`?format=${format}`);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type'), format).toBe(`application/${format}`);
      expect(await decoded(Buffer.from(await r.arrayBuffer()), format)).toEqual(json);
    }
  });

  it('_msearch with a reranked item answers in the asked format too; ?format=json and an unknown Accept stay JSON', async () => {
    const nd = [{ index: INDEX }, { size: 2, query: { match: { text: 'sweet' } } }, { index: INDEX }, { size: 1, query: { match: { title: 'honey' } } }].map((x) => JSON.stringify(x)).join('\n') + '\n';
    const post = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}/_msearch${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers }, body: nd });
    const json = stable((await (await post('')).json()) as any);
    expect(json.responses.map((x: any) => x.vlrerank?.pipeline)).toEqual(['answer-formats', 'answer-formats']);
    for (const format of FORMATS) {
      const r = await post(`?format=${format}`);
      expect(r.headers.get('content-type')).toBe(`application/${format}`);
      expect(stable(await decoded(Buffer.from(await r.arrayBuffer()), format))).toEqual(json);
    }
    for (const [path, headers] of [['?format=json', { accept: 'application/cbor' }], ['', { accept: 'text/html' }]] as const) {
      const r = await post(path, headers);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(stable((await r.json()) as any)).toEqual(json);
    }
  });

  /** Each hit's `_source` by `_id`, from an answer decoded by the format's library (longs as bigint). */
  const sources = (b: any): Record<string, unknown> => Object.fromEntries(b.hits.hits.map((h: any) => [h._id, h._source]));
  const decode = (bytes: Buffer, format: string): any => (format === 'cbor' ? decodeCbor(bytes) : parse(bytes.toString('utf8'), { intAsBigInt: true }));

  it("YAML, CBOR and Smile hold the values the engine's own answer holds (longs past 2^53 and 2^64, 1.0, -0.0, Unicode, empty containers)", async () => {
    const body = JSON.stringify({ size: 2, query: { match: { title: 'sweet' } } });
    const search = (base: string, format: string) => fetch(`${base}/${VALUES}/_search?format=${format}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const format of ['yaml', 'cbor'] as const) {
      // the reference: the engine answering the same search in that format itself
      const direct = await search(p.engineUrl, format);
      expect(direct.headers.get('content-type')).toBe(`application/${format}`);
      const expected = sources(decode(Buffer.from(await direct.arrayBuffer()), format));
      expect(Object.keys(expected).sort()).toEqual(['0', '1']);
      const r = await search(p.url, format);
      expect(r.status).toBe(200);
      const ours = decode(Buffer.from(await r.arrayBuffer()), format);
      expect(ours.vlrerank?.pipeline, format).toBe('answer-formats');
      expect(sources(ours), format).toEqual(expected);
    }
    // Smile: no Smile reader on npm to decode with (answer-format.ts); the engine reads the answer as a
    // document, and writes it back as YAML, to compare with its own YAML answer's values
    const expected = sources(decode(Buffer.from(await (await search(p.engineUrl, 'yaml')).arrayBuffer()), 'yaml'));
    const smile = Buffer.from(await (await search(p.url, 'smile')).arrayBuffer());
    const put = await engineFetch(`/${DECODED}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/smile' }, body: new Uint8Array(smile) });
    expect(put.status, await put.clone().text()).toBeLessThan(300);
    const back = Buffer.from(await (await engineFetch(`/${DECODED}/_source/1?format=yaml`)).arrayBuffer());
    expect(sources(decode(back, 'yaml'))).toEqual(expected);
  });

  it("vlrerank's own refusals on a reranked search come in the asked format with the engine's content type, as the engine's own errors do", async () => {
    // the engine's own error in each format: its content type, and the JSON error's values
    const missing = (base: string, q: string, headers: Record<string, string> = {}) => fetch(`${base}/${INDEX}-none/_search${q}`, { headers });
    const engineJson = (await (await missing(p.engineUrl, '')).json()) as any;
    for (const format of FORMATS) {
      const r = await missing(p.engineUrl, `?format=${format}`);
      expect(r.headers.get('content-type'), `engine ${format}`).toBe(`application/${format}`);
      if (format !== 'smile') expect(decode(Buffer.from(await r.arrayBuffer()), format), `engine ${format}`).toEqual(JSON.parse(JSON.stringify(engineJson), (_k, v) => (typeof v === 'number' && format === 'yaml' ? BigInt(v) : v)));
    }
    const cases: Array<[string, (q: string, headers?: Record<string, string>) => Promise<Response>, number]> = [
      // 400: a rerank ask vlrerank refuses (a window over the pipeline's max)
      ['bad ext.vlrerank', (q, h = {}) => fetch(`${p.url}/${INDEX}/_search${q}`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify({ query: { match: { text: 'sweet' } }, ext: { vlrerank: { window: 5000 } } }) }), 400],
      // 413: a gzip body that decompresses past server.maxJsonBodyBytes (32 MiB)
      ['413', (q, h = {}) => fetch(`${p.url}/${INDEX}/_search${q}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...h }, body: new Uint8Array(gzipSync(Buffer.alloc(33 * 1024 * 1024, 0x20))) }), 413],
      // 415: a Content-Encoding vlrerank does not read
      ['415', (q, h = {}) => fetch(`${p.url}/${INDEX}/_search${q}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'compress', ...h }, body: '{}' }), 415],
    ];
    for (const [what, send, status] of cases) {
      const json = (await (await send('')).json()) as any;
      expect(json.status, what).toBe(status);
      expect(json.error.root_cause[0].type, what).toBe(json.error.type);
      for (const format of FORMATS) {
        for (const [how, r] of [['param', await send(`?format=${format}`)], ['accept', await send('', { accept: `application/${format}` })]] as const) {
          expect(r.status, `${what} ${format} ${how}`).toBe(status);
          expect(r.headers.get('content-type'), `${what} ${format} ${how}`).toBe(`application/${format}`);
          const bytes = Buffer.from(await r.arrayBuffer());
          if (format === 'yaml') expect(bytes.toString('utf8')).toMatch(/^---\nerror:\n {2}root_cause:\n/);
          expect(await decoded(bytes, format), `${what} ${format} ${how}`).toEqual(json);
        }
      }
    }
  });

  it('a fail_closed rerank whose model fails: its 503 in the asked format; /v1/rerank and /_vlrerank/* stay JSON', async () => {
    const closed = textPipeline('answer-formats-closed', `${INDEX}*`).replace('failure: fail_open', 'failure: fail_closed');
    const failing = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'closed.yaml': closed }), scorer: new FailingScorer() });
    try {
      const send = (q: string) => fetch(`${failing.url}/${INDEX}/_search${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { text: 'sweet' } }, ext: { vlrerank: { pipeline: 'answer-formats-closed', query: 'sweet' } } }) });
      const json = (await (await send('')).json()) as any;
      expect(json.status).toBe(503);
      for (const format of FORMATS) {
        const r = await send(`?format=${format}`);
        expect(r.status).toBe(503);
        expect(r.headers.get('content-type')).toBe(`application/${format}`);
        expect(await decoded(Buffer.from(await r.arrayBuffer()), format)).toEqual(json);
      }
      // the rerank API's errors keep its JSON shape; vlrerank's own API answers JSON whatever is asked
      const rerank = await fetch(`${failing.url}/v1/rerank?format=yaml`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/yaml' }, body: JSON.stringify({ query: 'q' }) });
      expect(rerank.status).toBe(400);
      expect(rerank.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await rerank.json()) as any).object).toBe('error');
      const admin = await fetch(`${failing.url}/_vlrerank/pipelines/no-such?format=yaml`);
      expect(admin.status).toBe(404);
      expect(admin.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await failing.close();
    }
  });
});
