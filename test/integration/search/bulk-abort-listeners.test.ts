/**
 * A `_bulk` of 11 documents or more with photos, into an index whose pipeline adds vectors at
 * ingest, printed Node's "MaxListenersExceededWarning: Possible EventTarget memory leak detected. 11
 * abort listeners added to [AbortSignal]" on the server's stderr — once per such request (held-out
 * probe round 24a: 13 in the log of one set-up of 324 documents). Each document's vectors were
 * queued in the background lane with a child of the request's one signal of its own
 * (rerank/embedder.ts `embedderInLane`), each child a listener on it. Now one child per request
 * and lane (util/abort.ts `fanOutSignal`). Real Elasticsearch 8.19, the official client's `bulk`, the
 * real image models (one Grocery photo, twelve documents: computed once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, clientBulk, freshIndex, GROCERY_DIR, photoIngestPipeline, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { join } from 'node:path';

const INDEX = 'p24a-bulk-listeners';

describe('a _bulk of twelve documents with a photo (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'p24a-photos.yaml': photoIngestPipeline('p24a-photos', 'p24a-bulk-*') }) });
    await freshIndex(p, p.pipelines.forIndex(INDEX)!, INDEX);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('adds their vectors without a MaxListenersExceededWarning', async () => {
    const image = join(GROCERY_DIR, catalog[0]!.iconic_image);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const res = await clientBulk('elasticsearch', p.url, Array.from({ length: 12 }, (_, i) => [{ index: { _index: INDEX, _id: String(i) } }, { title: `photo ${i}`, description: 'an apple', image }]).flat()).finally(() =>
      new Promise((r) => setImmediate(r)).then(() => process.off('warning', onWarning)),
    );
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    expect(res.errors).toBe(false);
    const withVectors = await p.engine.json<{ count?: number }>('POST', `/${INDEX}/_count`, { query: { exists: { field: 'image_vector' } } });
    expect(withVectors.body.count).toBe(12);
  });
});
