/**
 * The warm-up rehearses the warm path (rerank/warmup.ts `rehearse`): one document's feature record
 * made, packed and unpacked as an index keeps it, and scored from, so the first search after a
 * restart finds that path already run once. Real models from ../shared/models: the rehearsal scores
 * from the record (its features say `index`) without running an image model again, and it is not
 * observed as a request (the stage timings a server exports stay empty until a real request).
 */
import { afterAll, expect, it } from 'vitest';
import { Reranker } from '../../../src/rerank/reranker.js';
import { REHEARSAL_DOCS, rehearse } from '../../../src/rerank/warmup.js';
import { DATA, MODELS } from '../../helpers/paths.js';

const stages: string[] = [];
const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], observe: { stage: (s) => stages.push(s) } });
afterAll(() => reranker.close());

interface Out {
  usage: { feature_sources: Record<string, number>; model_calls: Record<string, number> };
}

it('warms up without being observed as a request; the rehearsal scores from the packed record, no image model run', { timeout: 180_000 }, async () => {
  await reranker.warmup({ media: true });
  expect(stages).toEqual([]);
  const out = (await rehearse({ records: (d) => reranker.records(d), score: (input, records) => reranker.process(input, { records, recordOrigin: 'index' }) }, true)) as Out;
  // every document's text and image part came from the record
  expect(out.usage.feature_sources).toEqual({ index: 2 * REHEARSAL_DOCS });
  const imageCalls = Object.entries(out.usage.model_calls).filter(([m]) => /efficientnet|nanodet/.test(m));
  expect(imageCalls.reduce((a, [, n]) => a + n, 0)).toBe(0);
  // a real request is observed
  expect(stages).toContain('total');
});
