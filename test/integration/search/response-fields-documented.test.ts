/**
 * The `vlrerank` block of a reranked search and each hit's `_vlrerank` are read by tuning scripts:
 * every field name a real search emits is in README's field table ("The `vlrerank` block, field by
 * field"). Before (held-out probe round 18c) the README named a few in prose (`window`, timings,
 * `degraded`) and left `syntax`, `candidates`, `returned`, `above_min_score` and the explanation's
 * parts for a reader to guess. Real Elasticsearch 8.19 and OpenSearch 2.19, their official clients,
 * the real text model; the search asks for `explain` and `min_score`, so the optional fields show.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearch, pipelinesDir, startSearchProxy, SWEET_DOCS, textPipeline, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const INDEX = 'p18c-fields-it';
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('### The `vlrerank` block, field by field');
const table = readme.slice(start, readme.indexOf('\n### ', start + 10));
const named = (name: string) => table.includes(`\`${name}\``);

/** Every key of an object, and of the objects and arrays of objects under it. */
function keys(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) keys(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.add(k), keys(x, out);
  return out;
}

describe.each<Engine>(['elasticsearch', 'opensearch'])('the response fields a tuning script reads are documented (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p18c-fields.yaml': textPipeline('p18c-fields', 'p18c-fields-*', { default: true }) }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    for (const [i, d] of SWEET_DOCS.entries()) await p.engine.json('PUT', `/${INDEX}/_doc/${i}`, d);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('names every key of `vlrerank` and of each hit\'s `_vlrerank`', async () => {
    expect(start).toBeGreaterThan(0);
    const body = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query: { match: { text: 'sweet dessert' } }, ext: { vlrerank: { query: { text: 'a sweet dessert' }, explain: true, min_score: 0.1 } } } });
    expect(body.vlrerank.degraded).toBe(false);
    const report = keys(body.vlrerank);
    expect(report).toContain('above_min_score');
    const missing = [...report].filter((k) => !named(k));
    const hits = body.hits.hits as Array<{ _vlrerank: Record<string, unknown> }>;
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      for (const k of Object.keys(h._vlrerank)) if (!named(`_vlrerank.${k}`)) missing.push(`_vlrerank.${k}`);
      // the explanation's parts; a signal's `detail` is free-form per signal and not listed key by key
      const { signals, ...rest } = h._vlrerank.explanation as { signals: Array<Record<string, unknown>> };
      for (const k of keys(rest)) if (!named(k)) missing.push(`_vlrerank.explanation.${k}`);
      for (const s of signals) for (const k of Object.keys(s)) if (!named(k)) missing.push(`_vlrerank.explanation.signals.${k}`);
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});
