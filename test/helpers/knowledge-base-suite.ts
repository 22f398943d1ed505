/**
 * A suite's search proxy and knowledge-base index (vitest hooks). Kept apart from search-fixtures.ts,
 * which the bench scripts (scripts/bench/search-eval.ts, fusion-fit.ts, search.ts) import outside
 * vitest: a top-level import of vitest there stopped them with "Vitest failed to access its internal state".
 */
import { afterAll, beforeAll } from 'vitest';
import { freshIndex, startSearchProxy, type Engine, type SearchProxy } from './search-fixtures.js';

/**
 * For a suite: a search proxy in front of `engine` (the shipped pipelines) and `index` made anew for
 * the knowledge-base pipeline holding `docs` (ids 0, 1, …), refreshed; both gone after the suite.
 * Returns the running proxy (call it inside a test or hook).
 */
export function knowledgeBaseSuite(engine: Engine, index: string, docs: readonly object[]): () => SearchProxy {
  let p: SearchProxy | undefined;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await freshIndex(p, p.pipelines.get('knowledge-base')!, index);
    for (const [i, d] of docs.entries()) await p.engine.json('PUT', `/${index}/_doc/${i}`, d);
    await p.engine.json('POST', `/${index}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${index}`);
    await p?.close();
  });
  return () => p!;
}
