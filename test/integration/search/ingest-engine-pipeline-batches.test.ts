/**
 * A `_bulk` whose documents name the engine's own ingest pipelines asks the engine's simulate API
 * once per distinct pipeline (in calls of at most SIMULATE_MAX_DOCS documents or SIMULATE_MAX_BYTES),
 * not once per document: round 22c's simulate-first write made a `_bulk` of 1,000 documents under
 * `?pipeline=` 1,000 extra engine requests (fix22c). Each document still gets the vectors and record
 * of what its pipeline stores, in its own place in the batch's answer; a dropped one and one under a
 * missing pipeline get nothing; a body that pauses has the documents it sent so far asked for
 * meanwhile (not only at its end); the body's time budget still answers 429 for documents waiting for
 * their batch; a document that reaches its batch only after the stream began to wait (a second write
 * of an id, the one undeferred document of a late body) is asked for too — it hung until a 408. Real OpenSearch 3.6 (the only build here with ingest processors)
 * behind a relay counting the requests it receives, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { SimulateBatches } from '../../../src/ingest/engine-pipeline.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'f22c-batches';
const PIPELINES = {
  'f22c-batches.yaml': `name: f22c-batches\nindex_patterns: [${INDEX}]\nfailure: fail_open\nfields: {text: [title]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nfeatures: {store: index}\n`,
};
const SET = 'f22c-batches-set'; // the stored title is the document's `name`
const DROP = 'f22c-batches-drop';
const MISSING = 'f22c-batches-missing';
const FOODS = ['oat', 'almond', 'soy', 'rice', 'coconut', 'pea', 'hemp', 'cashew', 'hazelnut', 'macadamia'];
const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('simulate calls of a _bulk under the engine\'s ingest pipelines (opensearch3)', () => {
  let p: SearchProxy;
  let relay: CountingRelay;
  const simulations = (name: string) => relay.seen.filter((l) => l.startsWith(`POST /_ingest/pipeline/${name}/_simulate`)).length;

  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir(PIPELINES), via: async (url) => (relay = await countingRelay(url)).url });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('f22c-batches')!, INDEX);
    await p.engine.json('PUT', `/_ingest/pipeline/${SET}`, { processors: [{ set: { field: 'title', value: '{{name}} drink' } }] });
    await p.engine.json('PUT', `/_ingest/pipeline/${DROP}`, { processors: [{ drop: {} }] });
    await p.engine.json('DELETE', `/_ingest/pipeline/${MISSING}`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    for (const n of [SET, DROP]) await p?.engine.json('DELETE', `/_ingest/pipeline/${n}`);
    await p?.close();
    await relay?.close();
  });

  it('asks once per distinct pipeline, each document given what its pipeline stores', async () => {
    // 40 under the request's pipeline, 4 dropped by their action's, 1 under a missing one, 1 `_none`
    const lines: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      lines.push({ index: { _id: `set-${i}` } }, { title: 'unnamed', name: `${FOODS[i % FOODS.length]} ${i}` });
      if (i % 10 === 5) lines.push({ index: { _id: `drop-${i}`, pipeline: DROP } }, { title: `dropped ${i}` });
    }
    lines.push({ index: { _id: 'missing', pipeline: MISSING } }, { title: 'never stored' });
    lines.push({ index: { _id: 'none', pipeline: '_none' } }, { title: 'as sent', name: 'ignored' });
    const before = relay.seen.length;
    const r = await fetch(`${p.url}/${INDEX}/_bulk?pipeline=${SET}&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: Array<Record<string, { _id: string; status: number; result?: string }>>; vlrerank?: Record<string, number> };
    expect(simulations(SET)).toBe(1);
    expect(simulations(DROP)).toBe(1);
    expect(simulations(MISSING)).toBe(1);
    expect(relay.seen.slice(before).filter((l) => l.includes('/_simulate'))).toHaveLength(3);
    const byId = new Map(body.items.map((it) => [Object.values(it)[0]!._id, Object.values(it)[0]!]));
    expect(byId.get('drop-15')).toMatchObject({ result: 'noop' });
    expect(byId.get('missing')!.status).toBe(400);
    // stored: the 40 and `none`, each with its record (dropped and missing: none computed)
    expect(body.vlrerank).toMatchObject({ documents_with_feature_records: 41 });
    const stored = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, _source: ['title'], query: { match_all: {} } });
    expect(stored.body.hits.hits).toHaveLength(41);
    expect(stored.body.hits.hits.find((h: any) => h._id === 'set-7')._source.title).toBe('cashew 7 drink');
    // each record is of its own stored title (one in another's place is rejected at search as made from another text)
    const s = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 41, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'oat drink' }, explain: true } } }) });
    const hits = ((await s.json()) as any).hits.hits;
    expect(hits).toHaveLength(41);
    for (const h of hits) expect(h._vlrerank.explanation.records, h._id).toBeUndefined();
    expect(hits[0]._source.title).toMatch(/^oat \d+ drink$/);
  });

  it('splits a pipeline\'s documents into calls by count and by bytes, answers in order', async () => {
    const via = { pool: p.pool, headers: [] as string[] };
    const docs = Array.from({ length: 20 }, (_, i) => ({ title: 'x', name: `${FOODS[i % FOODS.length]} ${i}`, pad: 'p'.repeat(i % 3 === 0 ? 300 : 10) }));
    const run = async (limits: { docs: number; bytes: number }) => {
      const before = simulations(SET);
      const b = new SimulateBatches(via, limits);
      const out = docs.map((d, i) => b.run(SET, INDEX, `c-${i}`, d));
      b.flush();
      const got = await Promise.all(out);
      expect(got.map((g) => (g && 'doc' in g ? g.doc.title : g))).toEqual(docs.map((d) => `${d.name} drink`));
      return simulations(SET) - before;
    };
    expect(await run({ docs: 7, bytes: 1 << 20 })).toBe(3); // 7 + 7 + 6
    expect(await run({ docs: 500, bytes: 1 << 20 })).toBe(1);
    // 7 documents of ~370 bytes and 13 of ~80: at most 1,000 bytes a call
    const n = await run({ docs: 500, bytes: 1000 });
    expect(n).toBeGreaterThanOrEqual(4);
    expect(n).toBeLessThan(20);
  });

  it('asks for the documents of a body that pauses before the rest comes', async () => {
    const part = (from: number) => ndjson(Array.from({ length: 5 }, (_, i) => [{ index: { _id: `slow-${from + i}` } }, { title: 'unnamed', name: `slow ${from + i}` }]).flat());
    const before = simulations(SET);
    let more!: () => void;
    const rest = new Promise<void>((r) => (more = r));
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new TextEncoder().encode(part(0)));
        await rest; // the rest only once the first five were asked for
        c.enqueue(new TextEncoder().encode(part(5)));
        c.close();
      },
    });
    const sent = fetch(`${p.url}/${INDEX}/_bulk?pipeline=${SET}&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: stream, duplex: 'half' } as RequestInit);
    try {
      await until(() => simulations(SET) > before, { tries: 600, everyMs: 100, what: 'the first part simulated while the body pauses' });
    } finally {
      more();
    }
    const r = await sent;
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).vlrerank).toMatchObject({ documents_with_feature_records: 10 });
    expect(simulations(SET) - before).toBe(2);
    const stored = await p.engine.json<any>('GET', `/${INDEX}/_doc/slow-8`);
    expect(stored.body._source.title).toBe('slow 8 drink');
  });

  it('keeps the body\'s time budget: documents still waiting for their batch are 429s, not stored', async () => {
    const tight = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir(PIPELINES), bulkBudgetMs: 1, via: async () => relay.url });
    try {
      const lines = Array.from({ length: 12 }, (_, i) => [{ index: { _id: `late-${i}` } }, { title: 'unnamed', name: `late ${i}` }]).flat();
      const r = await fetch(`${tight.url}/${INDEX}/_bulk?pipeline=${SET}&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
      expect(r.status).toBe(200);
      const items = ((await r.json()) as any).items.map((it: any) => it.index);
      const refused = items.filter((it: any) => it.status === 429).map((it: any) => it._id);
      expect(refused.length).toBeGreaterThan(0);
      const held = await tight.engine.json<any>('POST', `/${INDEX}/_search`, { size: 20, _source: ['title'], query: { ids: { values: items.map((it: any) => it._id) } } });
      const stored = new Map(held.body.hits.hits.map((h: any) => [h._id, h._source.title]));
      for (const id of refused) expect(stored.has(id), id).toBe(false);
      expect(stored.size).toBe(items.length - refused.length);
      // the lead is deferred at the budget too, its work going on (src/ingest/leads.ts): sent again, it is stored as its pipeline left it
      let lead = items[0];
      for (let i = 0; i < 40 && lead.status === 429; i++) {
        await new Promise((r) => setTimeout(r, 250));
        lead = ((await (await fetch(`${tight.url}/${INDEX}/_bulk?pipeline=${SET}&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(lines.slice(0, 2)) })).json()) as any).items[0].index;
      }
      expect(lead.status).toBe(201);
      expect((await tight.engine.json<any>('GET', `/${INDEX}/_doc/late-0`)).body._source.title).toBe('late 0 drink');
    } finally {
      await tight.close();
    }
  });

  it('answers a body whose second write of an id waits for the first (its document asked for after the body ended)', async () => {
    const lines = [{ index: { _id: 'twice' } }, { title: 'unnamed', name: 'first' }, { index: { _id: 'twice' } }, { title: 'unnamed', name: 'second' }];
    const r = await fetch(`${p.url}/${INDEX}/_bulk?pipeline=${SET}&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).vlrerank).toMatchObject({ documents_with_feature_records: 2 });
    expect((await p.engine.json<any>('GET', `/${INDEX}/_doc/twice`)).body._source.title).toBe('second drink');
  });
});
