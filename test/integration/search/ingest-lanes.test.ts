/**
 * A reranked search's documents are served while a proxied `_bulk` is ingesting (held-out probe
 * round 10b: ingest starved searches — 24/24 came back `degraded: "timeout"` behind a `_bulk`'s
 * abstracts in the text model's one queue). Real Elasticsearch 8.19, the official client, the real
 * text model, real SciFact abstracts.
 *
 * The `_bulk` writes four long documents (60 abstracts each) to an index whose pipeline keeps
 * chunked records: each is cut into dozens of 512-token chunks, all queued for the text model at
 * once — minutes of model runs. While they wait, a search on another index (four abstracts, no
 * records: embedded on the fly) asks for a rerank with a budget ingest's queue would use up many
 * times over if the search's documents waited behind it. Outcomes, not times: the search is
 * reranked (not degraded) while ingest's documents are still queued, and the `_bulk` then ends
 * with every record (background work still runs). Fails on the old code: the search's texts queue
 * behind every chunk and the answer is the first stage flagged `timeout`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA } from '../../helpers/paths.js';
import { esClient, freshIndex, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const BULK = 'lanes-it-bulk';
const SEARCH = 'lanes-it-search';
/** What a search may spend on its rerank: far below the queue of chunks, far above the search alone. */
const BUDGET_MS = 4000;

const corpus = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 300)
  .map((l) => JSON.parse(l) as { title: string; text: string });

function pipelines(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-lanes-it-'));
  writeFileSync(
    join(dir, 'lanes-it-bulk.yaml'),
    `name: lanes-it-bulk
index_patterns: [${BULK}]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
budget_ms: 300000
failure: fail_open
scorer: { chunking: true }
features: { store: index }
`,
  );
  writeFileSync(
    join(dir, 'lanes-it-search.yaml'),
    `name: lanes-it-search
index_patterns: [${SEARCH}]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 4, max: 10 }
budget_ms: ${BUDGET_MS}
failure: fail_open
features: { store: none }
`,
  );
  return dir;
}

describe('a search while a proxied _bulk ingests (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelines() });
    await freshIndex(p, p.pipelines.get('lanes-it-bulk')!, BULK);
    await p.engine.json('DELETE', `/${SEARCH}`);
    await p.engine.json('PUT', `/${SEARCH}`, { mappings: { properties: { title: { type: 'text' }, text: { type: 'text' } } } });
    // four abstracts the bulk's documents do not hold, written to the engine directly (no records)
    for (const [i, d] of corpus.slice(240, 244).entries()) await p.engine.json('PUT', `/${SEARCH}/_doc/${i}`, { title: d.title, text: d.text });
    await p.engine.json('POST', `/${SEARCH}/_refresh`);
    await p.reranker.warmup();
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${BULK}`);
    await p?.engine.json('DELETE', `/${SEARCH}`);
    await p?.close();
  });

  it('is reranked within its budget while ingest’s chunks are queued; the _bulk still ends with every record', async () => {
    const text = await p.srv.services.models.textEmbedder();
    const docs = [0, 1, 2, 3].map((k) => {
      const part = corpus.slice(k * 60, (k + 1) * 60);
      return { title: `Collected abstracts ${k}`, text: part.map((d) => `${d.title}\n${d.text}`).join('\n\n') };
    });
    const bulk = esClient(p.url).bulk({ operations: docs.flatMap((d, k) => [{ index: { _index: BULK, _id: `long-${k}` } }, d]), refresh: true });
    // ingest's chunks queued (the bulk's four documents read and their chunks submitted)
    await until(() => text.queue().pending >= 60, { tries: 600, everyMs: 100 });

    const claim = 'Vitamin D deficiency and bone fractures';
    const r = await esClient(p.url).search({ index: SEARCH, size: 4, query: { match_all: {} }, ext: { vlrerank: { query: { text: claim } } } } as never);
    const queuedAfter = text.queue().pending;
    const body = r as any;
    expect(body.vlrerank.degraded, why(body)).toBe(false);
    expect(body.hits.hits).toHaveLength(4);
    // the search was answered with ingest's work still waiting: it did not wait for the _bulk
    expect(queuedAfter).toBeGreaterThan(0);

    const b = (await bulk) as any;
    expect(b.errors).toBe(false);
    const field = p.pipelines.get('lanes-it-bulk')!.features.keyField;
    const count = await p.engine.json<{ count: number }>('GET', `/${BULK}/_count?q=_exists_:${field}`);
    expect(count.body?.count).toBe(4);
  }, 600_000);
});
