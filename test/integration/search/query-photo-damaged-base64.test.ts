/**
 * Held-out probe round 27b: a shopper's photo uploaded as base64 and damaged on the way (one stray
 * character, the percent-encoding a form applies) was read as a file path — a 403 "media path
 * /9j/4AAQ… is outside the allowed media roots" (404 when percent-encoded) echoing the whole
 * payload — on a reranked search and on the rerank API alike. It is a 400 in each API's shape naming
 * the character. Elasticsearch 8.19 behind a real proxy; the query photo is read before the first
 * stage, so the pipeline's index (`p27bt-grocery-eval`) is never created.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groceryQueries, pipelinesDir, prefixedPipelineTexts, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p27bt-grocery-eval';

describe('a damaged base64 query photo', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir(prefixedPipelineTexts('p27bt-')) });
  });
  afterAll(async () => p?.close());

  it('is a 400 naming the stray character on the search and the rerank API, not a path refused', async () => {
    const b64 = readFileSync(groceryQueries(50)[1]!.image).toString('base64');
    for (const [image, says] of [[`${b64.slice(0, 1000)}!${b64.slice(1000)}`, "'!' at character 1001 is not base64"], [encodeURIComponent(b64), "'%' at character"]] as const) {
      const res = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, ext: { vlrerank: { query: { image } } } }) });
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception', reason: expect.stringContaining(says) } });
      expect(text.length).toBeLessThan(1000);
      const api = await fetch(`${p.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { image }, documents: ['a carton of milk'] }) });
      const apiText = await api.text();
      expect(api.status, apiText.slice(0, 300)).toBe(400);
      expect(JSON.parse(apiText)).toMatchObject({ message: expect.stringContaining(says) });
    }
  });
});
