/**
 * A client's `*` globs — `filter_path`, `_source` includes and excludes — over its own documents'
 * field names could stop the whole process: each was compiled into a RegExp that V8 backtracks
 * exponentially, so `filter_path=hits.hits._source.x.*a*a…*c` (15 stars) on a reranked search over a
 * field named with 60 `a`s held the event loop for good — that search, health and every other
 * client unanswered (held-out probe round 21c; the engine answers it at once). vlrerank runs as its
 * own process here (a held event loop would hold the test's too), in front of Elasticsearch 8.19,
 * the repo's knowledge-base pipeline (`kb-*`, a default one); each answer is compared with the
 * engine's. On the old code the first request never comes back (the client gives up after 60 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { spawnRerankProcess } from '../../helpers/rerank-server.js';

const INDEX = 'kb-glob-it';
const FIELD = 'a'.repeat(60);
const GLOB = `${'*a'.repeat(15)}*c`;
let es: string;
let vlr: Awaited<ReturnType<typeof spawnRerankProcess>>;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  const doc = { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults.', x: { [FIELD]: 1, abc: 2 } };
  const r = await fetch(`${es}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  expect(r.status).toBe(201);
  vlr = await spawnRerankProcess({ upstream: es });
});
afterAll(async () => {
  await vlr?.stop();
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' }).catch(() => {});
});

async function search(base: string, query: string, body: object) {
  const r = await fetch(`${base}/${INDEX}/_search${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return { status: r.status, json: (await r.json()) as any };
}

describe('globs built to backtrack, on a reranked search (Elasticsearch 8.19)', () => {
  const query = { query: { match: { text: 'vitamin' } } };
  it.each([
    ['filter_path', `?filter_path=hits.hits._source.x.${GLOB},hits.hits._source.x.a*c`, query],
    ['_source includes', '', { ...query, _source: { includes: [`x.${GLOB}`, 'x.a*c'] } }],
    ['_source excludes', '', { ...query, _source: { excludes: [`x.${GLOB}`, 'x.a*c', 'title', 'text'] } }],
  ])('%s: answered as the engine answers it, and health meanwhile', async (_what, qs, body) => {
    const via = await search(vlr.url, qs, body);
    expect(via.status).toBe(200);
    if (!qs) expect(via.json.vlrerank).toBeDefined(); // reranked (filter_path keeps only what it names)
    const direct = await search(es, qs, body);
    expect(via.json.hits?.hits?.map((h: any) => h._source)).toEqual(direct.json.hits?.hits?.map((h: any) => h._source));
    const health = await fetch(`${vlr.url}/_vlrerank/health?live`, { signal: AbortSignal.timeout(60_000) });
    expect(health.status).toBe(200);
    await health.body?.cancel();
  });
});
