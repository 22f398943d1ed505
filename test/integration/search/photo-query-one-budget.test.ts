/**
 * A search by photo has one budget: the query photo's fetch and embedding (for the kNN first
 * stage), the first stage and the rerank share `budget_ms` from the search's start; the rerank
 * gets what is left. Held-out probe round 10b: the rerank got a fresh budget after the photo, so a
 * search could spend `budget_ms` twice. Real Elasticsearch 8.19, the real models for the photo's
 * vector and at ingest, real grocery photos; a media host of the test's own answers the query photo
 * after PHOTO_DELAY_MS (a slow host is the fault played). The rerank is a recorder (fault fake
 * `DeadlineRecorder`) that notes how much budget it was handed — a value computed by vlrerank, not
 * a measured time: at most the budget less the photo's wait on the new code, the whole budget on
 * the old. A photo slower than the whole budget: the first stage cannot run without its vector.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scorer, ScoreRequest, ScoredDocument } from '../../../src/search/hit-scorer.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { DATA } from '../../helpers/paths.js';
import { until } from '../../helpers/until.js';
import { clientBulk, clientSearchRaw, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'lanes-photo-budget-it';
const BUDGET_MS = 6000;
const PHOTO_DELAY_MS = 1500;
const products = catalog().slice(0, 4);
const PHOTO = readFileSync(join(DATA, productImage(products[0]!)));

/** Scores every document 0.5 and keeps how many ms of budget each call was handed. */
class DeadlineRecorder implements Scorer {
  readonly left: number[] = [];
  async score(req: ScoreRequest): Promise<ScoredDocument[]> {
    this.left.push((req.deadline ?? Infinity) - performance.now());
    return req.documents.map(() => ({ score: 0.5 }));
  }
}

describe('a search by photo spends one budget (Elasticsearch 8.19)', () => {
  const recorder = new DeadlineRecorder();
  let p: SearchProxy;
  let host: Server;
  let hostUrl: string;
  /** Query photos vlrerank stopped waiting for (their connection closed before the answer). */
  let gaveUp = 0;
  beforeAll(async () => {
    host = createServer((req, res) => {
      const delay = req.url === '/too-slow.jpg' ? BUDGET_MS + 2000 : PHOTO_DELAY_MS;
      let answered = false;
      const t = setTimeout(() => {
        answered = true;
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO);
      }, delay);
      res.on('close', () => {
        clearTimeout(t);
        if (!answered) gaveUp++;
      });
    });
    hostUrl = await listenLocal(host);
    const pipelines = pipelinesDir({
      'lanes-photo.yaml': `name: lanes-photo
index_patterns: [${INDEX}]
fields: { text: [title, description], image: [image] }
first_stage: { text_query: bm25, match_fields: [title, description] }
window: { default: 4, max: 10 }
budget_ms: ${BUDGET_MS}
failure: fail_open
vectors: { ingest: true, image: { field: image_vector, dims: 1280 } }
features: { store: none }
`,
    });
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelines, scorer: recorder, media: { allowHosts: ['127.0.0.1'] } });
    await freshIndex(p, p.pipelines.get('lanes-photo')!, INDEX);
    const bulk = await clientBulk('elasticsearch', p.url, products.flatMap((c, i) => [{ index: { _index: INDEX, _id: String(i) } }, { title: c.title, description: c.description, image: productImage(c) }]));
    expect(bulk.errors).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
    await closeLocal(host);
  });

  it('the rerank gets the budget less what the query photo took, not a fresh one', async () => {
    // the image model's first run (loading) on a local photo, so the timed search below waits on the host only
    const warm = await clientSearchRaw('elasticsearch', p.url, { index: INDEX, size: 4, ext: { vlrerank: { query: { image: productImage(products[1]!) } } } });
    expect(warm.statusCode, JSON.stringify(warm.body)).toBe(200);
    recorder.left.length = 0;
    const r = await clientSearchRaw('elasticsearch', p.url, { index: INDEX, size: 4, ext: { vlrerank: { query: { image: `${hostUrl}/slow.jpg` } } } });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
    expect(r.body.vlrerank.degraded).toBe(false);
    expect(r.body.hits.hits).toHaveLength(4);
    expect(recorder.left).toHaveLength(1);
    // the photo alone held the search PHOTO_DELAY_MS: the rerank was handed no more than the rest
    expect(recorder.left[0]!).toBeLessThanOrEqual(BUDGET_MS - PHOTO_DELAY_MS);
  }, 120_000);

  it('a query photo slower than the whole budget: the 503 of a first stage that cannot run, the host given up', async () => {
    // plain fetch: the official client would retry the 503 three times
    const res = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 4, ext: { vlrerank: { query: { image: `${hostUrl}/too-slow.jpg` } } } }) });
    const body = await res.text();
    expect(res.status, body).toBe(503);
    expect(body).toMatch(/budget of 6000 ms/);
    await until(() => gaveUp >= 1, { tries: 600, everyMs: 50, what: 'the query photo given up' });
  }, 120_000);
});
