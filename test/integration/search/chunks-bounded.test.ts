/**
 * Held-out probe round 28b: nothing bounded how many chunks one document text made under
 * `scorer.chunking` — a product with 10,000 tags (an array of short texts, joined) made 94, each a
 * model run at ingest (23.8 s for one `_doc` on a loaded 2-core machine, a 100 KB record) or inside
 * a search without records (every search it was a candidate of ran out of its 5 s budget). At most
 * MAX_CHUNKS (32) chunks are now read, at ingest and at search alike, and the explanation says where
 * reading stopped (`read_to`, `of_chars`, `max_chunks`). A pipeline may ask fewer
 * (`chunking.max_chunks`): its records are made and read to that bound. Elasticsearch 8.19, the
 * real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHUNKS } from '../../../src/rerank/chunking.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const RECORDS = 'p28b-t-chunks-rec';
const PLAIN = 'p28b-t-chunks-plain';
const FOUR = 'p28b-t-chunks-four';
const WORDS = ['ripe', 'yellow', 'fresh', 'organic', 'sweet', 'fruit', 'snack', 'tropical'];
const TAGS = Array.from({ length: 10_000 }, (_, i) => `${WORDS[i % 8]}${i}`);
const DOC = { title: 'Banana chips', tags: TAGS };
const TEXT_CHARS = ['Banana chips', ...TAGS].join('\n').length;

describe('the chunks of one long document text', () => {
  let engine: string;
  let srv: RunningServer;
  const pipeline = (name: string, index: string, store: string, chunking = 'true') =>
    `name: ${name}\nindex_patterns: [${index}]\nfields: {text: [title, tags]}\nfirst_stage: {text_query: bm25, fusion: {method: none}}\nscorer: {chunking: ${chunking}}\nfeatures: {store: ${store}}\nbudget_ms: 600000\n`;

  beforeAll(async () => {
    engine = await useEngine('elasticsearch');
    for (const index of [RECORDS, PLAIN, FOUR]) await fetch(`${engine}/${index}`, { method: 'DELETE' });
    srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'rec.yaml': pipeline('p28b-t-crec', RECORDS, 'index'), 'plain.yaml': pipeline('p28b-t-cplain', PLAIN, 'none'), 'four.yaml': pipeline('p28b-t-cfour', FOUR, 'index', '{max_chunks: 4}') }) });
    for (const index of [RECORDS, PLAIN, FOUR]) {
      const record = { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] }, properties: { vlrerank_features: { type: 'binary', store: true }, vlrerank_features_key: { type: 'keyword' } } };
      const mappings = { ...(index !== PLAIN ? record : {}), properties: { title: { type: 'text' }, tags: { type: 'text' }, ...(index !== PLAIN ? record.properties : {}) } };
      expect((await fetch(`${engine}/${index}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) })).status).toBe(200);
    }
    // the record through the proxy; the plain index straight to the engine (chunks computed at search)
    for (const index of [RECORDS, FOUR]) {
      const w = await fetch(`${srv.url}/${index}/_doc/tags?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DOC) });
      expect(w.status).toBe(201);
      expect(((await w.json()) as any).vlrerank).toBeUndefined();
    }
    const p = await fetch(`${engine}/${PLAIN}/_doc/tags?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DOC) });
    expect(p.status).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await srv?.close();
    for (const index of [RECORDS, PLAIN, FOUR]) await fetch(`${engine}/${index}`, { method: 'DELETE' });
  });

  /** The top hit's text_text detail and where its text features came from, of an explained reranked search of `index`. */
  async function explained(index: string): Promise<{ detail: any; text: string }> {
    const r = await fetch(`${srv.url}/${index}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body.vlrerank.degraded).toBe(false);
    const hit = body.hits.hits[0]._vlrerank;
    return { detail: hit.explanation.signals.find((s: any) => s.name === 'text_text').detail, text: hit.explanation.features.text };
  }

  it.each([RECORDS, PLAIN])('%s: at most MAX_CHUNKS are read, and the explanation says where reading stopped', { timeout: 600_000 }, async (index) => {
    const { detail, text } = await explained(index);
    if (index === RECORDS) expect(text).toBe('index'); // the record's chunks, not a fresh run
    expect(detail.chunks).toBe(MAX_CHUNKS);
    expect(detail.max_chunks).toBe(MAX_CHUNKS);
    expect(detail.of_chars).toBe(TEXT_CHARS);
    expect(detail.read_to).toBeGreaterThan(0);
    expect(detail.read_to).toBeLessThan(TEXT_CHARS);
  });

  it('a pipeline asking max_chunks 4 makes its record of 4 chunks and reads it so', { timeout: 600_000 }, async () => {
    const { detail, text } = await explained(FOUR);
    expect(text).toBe('index');
    expect(detail.chunks).toBe(4);
    expect(detail.max_chunks).toBe(4);
    expect(detail.read_to).toBeLessThan(TEXT_CHARS);
  });
});
