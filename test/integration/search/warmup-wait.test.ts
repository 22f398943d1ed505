/**
 * A reranked search that arrives while the reranker is still warming up waits for the warm-up
 * before its budget clock starts, and reports the wait apart (vlrerank.timings.warmup_wait_ms):
 * the first search after start is reranked, not failed open for the model load time. A scorer
 * that is done warming adds no wait and no timing. The warming models are played by a fault fake
 * (`WarmingScorer`) whose warm-up ends when the test says so, well past the pipeline's budget.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { Scorer, ScoreRequest, ScoredDocument } from '../../../src/search/hit-scorer.js';
import { clientSearchRaw, ensureGrocery, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const BUDGET_MS = 200;

/** Models still loading: ready() resolves on finish(); scores are instant once warm. */
class WarmingScorer implements Scorer {
  waiting = 0;
  #finish!: () => void;
  readonly #warm = new Promise<void>((r) => (this.#finish = r));
  #done = false;
  async ready(): Promise<boolean> {
    if (this.#done) return false;
    this.waiting++;
    await this.#warm;
    return true;
  }
  finish(): void {
    this.#done = true;
    this.#finish();
  }
  async score(req: ScoreRequest): Promise<ScoredDocument[]> {
    return req.documents.map((_, i) => ({ score: 1 - i / 1000 }));
  }
}

const pipelines = pipelinesDir({ 'warm.yaml': `name: warm-it\nindex_patterns: [warm-it]\nfailure: fail_open\nbudget_ms: ${BUDGET_MS}\nfields: {text: [title, description], image: [image]}\n` });
/** The proxy of the current test, built with that test's scorer. */
let p: SearchProxy | undefined;
beforeAll(async () => {
  const indexer = await startSearchProxy('elasticsearch', { pipelinesDir: pipelines });
  try {
    await ensureGrocery(indexer, 'elasticsearch', INDEX);
  } finally {
    await indexer.close();
  }
}, 600_000);
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function search(scorer: Scorer) {
  p ??= await startSearchProxy('elasticsearch', { pipelinesDir: pipelines, scorer });
  return clientSearchRaw('elasticsearch', p.url, { index: INDEX, body: { size: 5, query: { match: { description: 'milk' } }, _source: ['title'], ext: { vlrerank: { query: 'oat drink', pipeline: 'warm-it', window: 20 } } } });
}

it('waits for the warm-up outside the budget and says how long it waited', async () => {
  const scorer = new WarmingScorer();
  const pending = search(scorer);
  while (scorer.waiting === 0) await new Promise((r) => setTimeout(r, 10));
  // the warm-up outlasts the whole budget several times over before it ends
  await new Promise((r) => setTimeout(r, BUDGET_MS * 4));
  scorer.finish();
  const r = await pending;
  expect(r.statusCode).toBe(200);
  expect(r.body.vlrerank).toMatchObject({ degraded: false, timings: { warmup_wait_ms: expect.any(Number) } });
  expect(r.headers['x-vlrerank-degraded']).toBeUndefined();
});

it('adds no wait once the models are warm', async () => {
  const scorer = new WarmingScorer();
  scorer.finish();
  const r = await search(scorer);
  expect(r.body.vlrerank.degraded).toBe(false);
  expect(r.body.vlrerank.timings.warmup_wait_ms).toBeUndefined();
});
