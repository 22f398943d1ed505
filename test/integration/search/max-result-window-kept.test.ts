/**
 * An index whose `index.max_result_window` is below the pipeline's window: the limit the engine's
 * refusal named is kept, so later reranked searches ask within it at once. Before (fix16, left by
 * held-out probe round 15e) every reranked search on such an index cost one refused first stage —
 * two first-stage requests a search. The kept limit is learnt again when the setting is lowered
 * (the next refusal) and forgotten after `pipelines.resultWindowCacheMs` (a setting raised is then
 * used). First stages are counted by a relay in front of the engine. Real Elasticsearch 8.19 and
 * OpenSearch 2.19, official clients, SciFact abstracts, the real text model.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { ENGINES, clientBulk, clientSearchRaw, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

// window 20 by default: above the index's max_result_window of 8
const PIPELINE = `${textPipeline('fix16-mrw', 'fix16-mrw-*', { default: false })}budget_ms: 300000\n`;
const TEXT = 'cancer cells and tumour growth';
const BODY = { query: { match: { text: TEXT } }, size: 4, ext: { vlrerank: { query: { text: TEXT } } } };
const TTL_MS = 300;

describe.each(ENGINES)('the max_result_window a refusal named is kept (%s)', (engine) => {
  const INDEX = `fix16-mrw-${engine}`;
  const dir = pipelinesDir({ 'fix16-mrw.yaml': PIPELINE });
  let p: SearchProxy; // the default resultWindowCacheMs (60 s)
  let short: SearchProxy; // resultWindowCacheMs TTL_MS
  let relay: CountingRelay;
  let shortRelay: CountingRelay;
  /** First-stage requests the engine received for one reranked search through `via`, and its answer. */
  const search = async (via: SearchProxy, r: CountingRelay, body: object = BODY) => {
    const from = r.seen.length;
    const res = await clientSearchRaw(engine, via.url, { index: INDEX, body });
    return { res, firstStages: r.seen.slice(from).filter((l) => l.startsWith(`POST /${INDEX}/_search`)).length };
  };
  const setWindow = async (n: number) => expect((await p.engine.json('PUT', `/${INDEX}/_settings`, { index: { max_result_window: n } })).statusCode).toBe(200);

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir, via: async (url) => (relay = await countingRelay(url)).url });
    short = await startSearchProxy(engine, { pipelinesDir: dir, resultWindowCacheMs: TTL_MS, via: async (url) => (shortRelay = await countingRelay(url)).url });
    await p.engine.json('DELETE', `/${INDEX}`);
    await p.engine.json('PUT', `/${INDEX}`, { settings: { number_of_shards: 1, number_of_replicas: 0, 'index.max_result_window': 8 } });
    await clientBulk(engine, p.url, scifactDocs(60).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
    await short?.close();
    await relay?.close();
    await shortRelay?.close();
  });

  it('asks within the learnt limit at once; learns a lowered one from the next refusal', async () => {
    const first = await search(p, relay);
    expect(first.res.statusCode).toBe(200);
    expect(first.res.body.vlrerank).toMatchObject({ window: 8, candidates: 8, degraded: false });
    expect(first.firstStages).toBe(2); // refused, then within the limit
    for (const body of [BODY, { ...BODY, from: 4 }]) {
      const next = await search(p, relay, body);
      expect(next.res.statusCode).toBe(200);
      expect(next.res.body.vlrerank).toMatchObject({ window: 8, candidates: 8, degraded: false });
      expect(next.firstStages).toBe(1); // was 2 on every search
    }
    // a page past the limit: the engine's own refusal, asked once
    const past = await search(p, relay, { ...BODY, from: 6 });
    expect(past.res.statusCode).toBe(400);
    expect(past.firstStages).toBe(1);
    // lowered: the kept 8 is refused, 6 learnt, and asked within at once after
    await setWindow(6);
    const lowered = await search(p, relay);
    expect(lowered.res.statusCode).toBe(200);
    expect(lowered.res.body.vlrerank).toMatchObject({ window: 6, candidates: 6 });
    expect(lowered.firstStages).toBe(2);
    const after = await search(p, relay);
    expect(after.res.body.vlrerank).toMatchObject({ window: 6, candidates: 6 });
    expect(after.firstStages).toBe(1);
    await setWindow(8);
  });

  it('forgets the limit after pipelines.resultWindowCacheMs: a raised setting is used', async () => {
    await setWindow(8);
    const first = await search(short, shortRelay);
    expect(first.res.body.vlrerank).toMatchObject({ window: 8, candidates: 8 });
    expect(first.firstStages).toBe(2);
    await setWindow(100);
    await sleep(TTL_MS + 100);
    const raised = await search(short, shortRelay);
    expect(raised.res.statusCode).toBe(200);
    expect(raised.res.body.vlrerank).toMatchObject({ window: 20, candidates: 20, degraded: false });
    expect(raised.firstStages).toBe(1);
    await setWindow(8);
  });
});
