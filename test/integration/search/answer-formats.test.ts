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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINES, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'answer-formats-it';
const DECODED = 'answer-formats-decoded-it';
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
    for (const i of [INDEX, DECODED]) await engineFetch(`/${i}`, { method: 'DELETE' });
    const json = { 'content-type': 'application/json' };
    // only the texts searched are mapped: the other fields are there for their values' encodings
    await engineFetch(`/${INDEX}`, { method: 'PUT', headers: json, body: JSON.stringify({ settings: { number_of_replicas: 0 }, mappings: { dynamic: false, properties: { title: { type: 'text' }, text: { type: 'text' } } } }) });
    // the decoded answers are kept as documents only: nothing mapped, any shape accepted
    await engineFetch(`/${DECODED}`, { method: 'PUT', headers: json, body: JSON.stringify({ settings: { number_of_replicas: 0 }, mappings: { enabled: false } }) });
    const bulk = docs.flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
    const r = await engineFetch('/_bulk?refresh=true', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(((await r.json()) as any).errors).toBe(false);
  });
  afterAll(async () => {
    for (const i of [INDEX, DECODED]) await engineFetch(`/${i}`, { method: 'DELETE' }).catch(() => undefined);
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
});
