/**
 * A `_bulk` into a pipeline's index has a time budget (`pipelines.bulkBudgetMs`): the documents not
 * embedded by then are not stored and their items answer the engine's own per-item 429
 * (`es_rejected_execution_exception`, `errors: true`), which the official bulk helpers retry.
 * Held-out probe round 21b: with no budget a 2 MB `helpers.bulk` flush of 600 abstracts took
 * minutes through vlrerank — past the clients' default 30 s request time-out: the helper threw
 * `TimeoutError`, the documents were stored anyway, 340 of 600 without records, and nothing said so
 * to the client. Here the budget is 1 ms so every try runs out (each stores the documents an earlier
 * try began, or begins one whose work goes on: src/ingest/leads.ts); the helpers retry until each
 * document is stored once, with its record. Real
 * Elasticsearch 8.19 and OpenSearch 2.19, their official clients, the real text model, SciFact.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { DATA } from '../../helpers/paths.js';
import { freshIndex, isElasticsearch, pipelinesDir, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p21b-budget-it';
const PIPELINE = `name: p21b-budget
index_patterns: [p21b-budget-*]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
failure: fail_open
features: { store: index }
`;
const corpus = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(2400, 2472)
  .map((l) => JSON.parse(l) as { _id: string; title: string; text: string });

describe.each(['elasticsearch', 'opensearch'] as Engine[])('a _bulk past its time budget answers per-item 429s the helpers retry (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p21b-budget.yaml': PIPELINE }), bulkBudgetMs: 1 });
    await freshIndex(p, p.pipelines.get('p21b-budget')!, INDEX);
    await freshIndex(p, p.pipelines.get('p21b-budget')!, `${INDEX}-raw`);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/${INDEX}-raw`);
    await p?.close();
  });

  /** Each stored document: its version and whether it holds a feature record. */
  async function stored(index: string): Promise<Map<string, { version: number; record: boolean }>> {
    await p.engine.json('POST', `/${index}/_refresh`);
    const r = await p.engine.json<any>('POST', `/${index}/_search`, { size: 1000, version: true, _source: false, stored_fields: ['vlrerank_features'], query: { match_all: {} } });
    return new Map(r.body.hits.hits.map((h: any) => [h._id, { version: h._version, record: h.fields?.vlrerank_features !== undefined && parseRecord(unpackRecord(h.fields.vlrerank_features)).record !== undefined }]));
  }

  it('the items not embedded in time are 429s, not stored; sent again, each is stored once with its record', async () => {
    const docs = corpus.slice(0, 12);
    const ndjson = (ds: typeof docs) => ds.map((d) => `${JSON.stringify({ create: { _id: d._id } })}\n${JSON.stringify({ title: d.title, text: d.text })}\n`).join('');
    const send = async (ds: typeof docs) => (await (await fetch(`${p.url}/${INDEX}-raw/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(ds) })).json()) as any;
    const first = await send(docs);
    const items = first.items.map((it: any) => it.create);
    const refused = items.filter((it: any) => it.status === 429);
    expect(first.errors).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    for (const it of refused) expect(it.error.type).toBe('es_rejected_execution_exception');
    const after = await stored(`${INDEX}-raw`);
    for (const it of refused) expect(after.has(it._id), it._id).toBe(false);
    for (const it of items.filter((x: any) => x.status === 201)) expect(after.get(it._id)).toEqual({ version: 1, record: true });
    // the 429 items sent again, as the helpers do (after a pause), until none is refused
    let left = docs.filter((d) => refused.some((it: any) => it._id === d._id));
    for (let i = 0; i < 4 * docs.length && left.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const again = (await send(left)).items.map((it: any) => it.create);
      left = left.filter((_, k) => again[k].status === 429);
    }
    expect(left).toEqual([]);
    const all = await stored(`${INDEX}-raw`);
    expect([...all.keys()].sort()).toEqual(docs.map((d) => d._id).sort());
    for (const [id, s] of all) expect(s, id).toEqual({ version: 1, record: true });
  }, 300_000);

  // `wait` 100 ms: a document deferred while its work runs is stored by a try after that work ends
  // (src/ingest/leads.ts) — 1,000 retries 10 ms apart could all come before it on a loaded machine
  it("the official client's helpers.bulk retries them: every document stored once with its record, onDrop never called", async () => {
    const docs = corpus.slice(12, 60).map((d) => ({ id: d._id, title: d.title, text: d.text }));
    const drops: unknown[] = [];
    const options = { datasource: docs, onDocument: (d: (typeof docs)[number]) => ({ index: { _index: INDEX, _id: d.id } }), retries: 1000, wait: 100, concurrency: 2, flushBytes: 40_000, onDrop: (d: unknown) => void drops.push(d), refreshOnCompletion: INDEX };
    const r = isElasticsearch(engine)
      ? await new EsClient({ node: p.url, requestTimeout: 600_000 }).helpers.bulk(options as any)
      : await new OsClient({ node: p.url, requestTimeout: 600_000 }).helpers.bulk(options as any);
    expect(drops).toEqual([]);
    expect(r.successful).toBe(docs.length);
    expect(r.retry).toBeGreaterThan(0); // 429 items came back and were sent again
    const all = await stored(INDEX);
    expect([...all.keys()].sort()).toEqual(docs.map((d) => d.id).sort());
    for (const [id, s] of all) expect(s, id).toEqual({ version: 1, record: true });
  }, 600_000);

  /**
   * The Go clients' bulk helpers (go-elasticsearch's `esutil.BulkIndexer`, opensearch-go's
   * `opensearchutil.BulkIndexer`) never send a 429 item again: they hand it to `OnFailure` (held-out
   * probe round 22b: 201 of 300 abstracts dropped so at the default 8 s budget). Their `_bulk` is
   * known by the headers they send — captured from go-elasticsearch 8.19.7 and opensearch-go 4.8.1
   * (`GO_BULK_HEADERS`) — and waits for its embeddings: no 429, every document stored with its record.
   */
  it("a Go client's _bulk is not deferred (its BulkIndexer never retries 429 items): every document stored at the first try", async () => {
    const docs = corpus.slice(60, 72); // none embedded by the cases above (their work is kept)
    const index = `${INDEX}-go`;
    await freshIndex(p, p.pipelines.get('p21b-budget')!, index);
    try {
      const ndjson = docs.map((d) => `${JSON.stringify({ index: { _id: d._id } })}\n${JSON.stringify({ title: d.title, text: d.text })}\n`).join('');
      const r = (await (await fetch(`${p.url}/${index}/_bulk?refresh=true`, { method: 'POST', headers: GO_BULK_HEADERS[engine]!, body: ndjson })).json()) as any;
      expect(r.items.map((it: any) => it.index.status)).toEqual(docs.map(() => 201));
      expect(r.errors).toBe(false);
      const all = await stored(index);
      expect([...all.keys()].sort()).toEqual(docs.map((d) => d._id).sort());
      for (const [id, s] of all) expect(s, id).toEqual({ version: 1, record: true });
    } finally {
      await p.engine.json('DELETE', `/${index}`);
    }
  }, 300_000);
});

/** What the Go clients' bulk helpers send (captured from go-elasticsearch 8.19.7 and opensearch-go 4.8.1 on Go 1.26.8). */
const GO_BULK_HEADERS: Partial<Record<Engine, Record<string, string>>> = {
  elasticsearch: { 'user-agent': 'go-elasticsearch/8.19.7 (linux amd64; Go 1.26.8)', 'content-type': 'application/json', 'x-elastic-client-meta': 'es=8.19.7,go=1.26.8,t=8.9.0,hc=1.26.8,h=bp' },
  opensearch: { 'user-agent': 'opensearch-go/4.8.1 (linux amd64; Go 1.26.8)', 'content-type': 'application/json' },
};
