/**
 * The failure policy of the rerank stage: with `fail_open` a model error, an overload or a
 * timeout returns the first-stage order (never an empty result) with `vlrerank.degraded` naming the kind, a reason
 * and the `x-vlrerank-degraded` header; with `fail_closed` an ES-shaped 503. The faults a real
 * model cannot be made to produce on demand are played by small fakes named after them; the
 * timeout is also produced by the real reranker with a budget it cannot meet.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vlrError } from '../../../src/errors.js';
import type { Scorer, ScoreRequest, ScoredDocument } from '../../../src/search/hit-scorer.js';
import { clientSearchRaw, ENGINES, ensureGrocery, GROCERY_DIR, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';

/** The model fails (as onnxruntime does on a corrupt or incompatible session). */
class FailingScorer implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_MODEL_RUNTIME', 'onnxruntime failed to run the text embedder');
  }
}
/** The model's queue is full. */
class OverloadedScorer implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_OVERLOADED', 'the batching queue is full');
  }
}
/** The model never answers: resolves only when the budget aborts it. */
class SlowScorer implements Scorer {
  aborted = 0;
  score(req: ScoreRequest): Promise<ScoredDocument[]> {
    return new Promise((_, reject) =>
      req.signal.addEventListener('abort', () => {
        this.aborted++;
        reject(req.signal.reason);
      }),
    );
  }
}

const extra = (name: string, failure: string, budget: number) =>
  `name: ${name}\nindex_patterns: [${name}]\nfailure: ${failure}\nbudget_ms: ${budget}\nfields: {text: [title, description], image: [image]}\n`;

describe.each(ENGINES)('fail-open and fail-closed on %s', (engine) => {
  const pipelines = pipelinesDir({
    'open.yaml': extra('open-it', 'fail_open', 400),
    'closed.yaml': extra('closed-it', 'fail_closed', 400),
    'tiny.yaml': extra('tiny-budget-it', 'fail_open', 1),
    'gone.yaml': extra('media-gone-it', 'fail_open', 300_000),
  });
  /** With the real reranker. */
  let p: SearchProxy;
  /** With a fault fake in its place (a server per test, built with that test's fake). */
  let faulty: SearchProxy | undefined;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelines });
    await ensureGrocery(p, engine, INDEX);
  });
  afterEach(async () => {
    await faulty?.close();
    faulty = undefined;
  });
  afterAll(async () => p?.close());

  const query = { match: { description: 'milk' } };
  const search = (pipeline: string, via: SearchProxy = p) =>
    clientSearchRaw(engine, via.url, { index: INDEX, body: { size: 5, query, _source: ['title'], ext: { vlrerank: { query: 'oat drink', pipeline, window: 20 } } } });
  const withFault = async (scorer: Scorer) => (faulty = await startSearchProxy(engine, { pipelinesDir: pipelines, scorer }));
  async function firstStageIds(): Promise<string[]> {
    const r = await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, query, _source: false }) })).json();
    return r.hits.hits.map((h: any) => h._id);
  }

  it.each([
    ['FailingScorer', () => new FailingScorer(), 'VLR_MODEL_RUNTIME', 'failed'],
    ['OverloadedScorer', () => new OverloadedScorer(), 'VLR_OVERLOADED', 'overloaded'],
    ['SlowScorer', () => new SlowScorer(), 'VLR_TIMEOUT', 'timeout'],
  ])('fail_open + %s → first-stage order, degraded, header', async (_name, make, code, kind) => {
    const r = await search('open-it', await withFault(make()));
    expect(r.statusCode).toBe(200);
    expect(r.body.vlrerank).toMatchObject({ degraded: kind, reason: expect.stringContaining(code) });
    expect(r.headers['x-vlrerank-degraded']).toBe(code);
    expect(r.body.hits.hits.map((h: any) => h._id)).toEqual(await firstStageIds());
    expect(r.body.hits.hits.length).toBe(5);
  });

  it('fail_open with the real reranker and a budget it cannot meet', async () => {
    const r = await search('tiny-budget-it');
    expect(r.statusCode).toBe(200);
    expect(r.body.vlrerank).toMatchObject({ degraded: 'timeout', reason: expect.stringContaining('VLR_TIMEOUT') });
    expect(r.body.hits.hits.map((h: any) => h._id)).toEqual(await firstStageIds());
  });

  it.each([
    ['FailingScorer', () => new FailingScorer()],
    ['SlowScorer', () => new SlowScorer()],
  ])('fail_closed + %s → ES-shaped 503', async (_name, make) => {
    const r = await search('closed-it', await withFault(make()));
    expect(r.statusCode).toBe(503);
    expect(r.body).toMatchObject({ status: 503, error: { type: 'rerank_failed_exception', vlrerank_code: 'VLR_RERANK_FAILED' } });
    expect(r.body.error.reason).toContain('fail_closed');
  });

  it('a hit whose photo is gone is reranked on its text, and the response counts it', async () => {
    const GONE = 'media-gone-it';
    await p.engine.json('DELETE', `/${GONE}`);
    const photo = (f: string) => join(GROCERY_DIR, 'iconic-images-and-descriptions', f);
    const docs = [
      { title: 'Oat drink', description: 'A creamy oat drink made from Swedish oats.', image: photo('Packages/Oat-Milk/Oatly-Oat-Milk/no-such-photo.jpg') },
      { title: 'Red apple', description: 'A crisp red apple.', image: photo('Fruit/Apple/Red-Delicious/Red-Delicious_Iconic.jpg') },
    ];
    const lines = docs.flatMap((d, i) => [JSON.stringify({ index: { _index: GONE, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
    await p.engine.json('POST', '/_bulk?refresh=true', lines, { 'content-type': 'application/x-ndjson' });
    try {
      const r = await clientSearchRaw(engine, p.url, { index: GONE, body: { size: 2, query: { match_all: {} }, ext: { vlrerank: { query: 'oat drink', pipeline: GONE, explain: true } } } });
      expect(r.statusCode).toBe(200);
      expect(r.body.vlrerank).toMatchObject({ degraded: false, document_errors: { count: 1, first: expect.stringContaining('VLR_NOT_FOUND') } });
      const gone = r.body.hits.hits.find((h: any) => h._id === '0');
      expect(gone._vlrerank.explanation.error.code).toBe('VLR_NOT_FOUND');
      expect(gone._vlrerank.explanation.signals.map((s: any) => s.name)).toEqual(['text_text']);
      expect(r.body.hits.hits[0]._id).toBe('0'); // its text still wins
    } finally {
      await p.engine.json('DELETE', `/${GONE}`);
    }
  });
});
