/**
 * A `_bulk` into an index the engine refuses writes to by a block — `index.blocks.write` (403) or the
 * flood stage's `read_only_allow_delete` (429), both `cluster_block_exception`, set by hand on the
 * test's own index. The first refused `_bulk` still gets its new photos' vectors computed (vlrerank
 * cannot tell beforehand), but the next `_bulk` items for that index are sent as received — no model
 * run, the engine's per-item refusals answered exactly as directly. Before (held-out probe round 29d,
 * left) only single-document writes were remembered (ingest/refused-writes.ts): every refused `_bulk`
 * computed its photos first. Once the block is lifted, the first `_bulk` is stored as received (its
 * items saying they have no vectors) and forgets the refusal; the next gets its vectors again.
 * Model runs counted from `vlrerank_model_runs_total`. Real Elasticsearch 8.19, real models and
 * grocery photos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterSum } from '../../helpers/metrics.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: grocery$/m, 'name: f29bshop')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [f29b-bulk-*]');

const BLOCKS = [
  { setting: 'index.blocks.write', status: 403, index: 'f29b-bulk-write', from: 40 },
  { setting: 'index.blocks.read_only_allow_delete', status: 429, index: 'f29b-bulk-flood', from: 60 },
] as const;

let p: SearchProxy;
beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'f29bshop.yaml': PIPELINE }) });
  await p.reranker.warm.wait();
}, 600_000);
afterAll(async () => {
  for (const b of BLOCKS) {
    await p?.engine.json('PUT', `/${b.index}/_settings`, { [b.setting]: null });
    await p?.engine.json('DELETE', `/${b.index}`);
  }
  await p?.close();
});

const runs = () => counterSum(p.url, 'vlrerank_model_runs_total');
/** Four new photos from catalog entry `from`, ids `${tag}0`…: an NDJSON `_bulk` body. */
const body = (from: number, tag: string) =>
  catalog
    .slice(from, from + 4)
    .flatMap((c, i) => [JSON.stringify({ index: { _id: `${tag}${i}` } }), JSON.stringify(groceryDoc(c))])
    .join('\n') + '\n';
async function bulk(url: string, index: string, nd: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}/${index}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
  return { status: r.status, body: await r.json() };
}
const withoutTook = (b: any) => ({ ...b, took: undefined });

describe.each(BLOCKS)('a _bulk into an index under $setting (Elasticsearch 8.19)', (b) => {
  it('after a refused _bulk, the next ones are refused at once without model runs, as directly; lifted, vectors again', { timeout: 600_000 }, async () => {
    await freshIndex(p, p.pipelines.get('f29bshop')!, b.index);
    expect((await p.engine.json('PUT', `/${b.index}/_settings`, { [b.setting]: true })).statusCode).toBe(200);

    const r0 = await runs();
    const first = await bulk(p.url, b.index, body(b.from, 'a'));
    expect(first.status).toBe(200);
    expect(first.body.items.map((it: any) => [it.index.status, it.index.error?.type])).toEqual(Array(4).fill([b.status, 'cluster_block_exception']));
    const r1 = await runs();
    expect(r1).toBeGreaterThan(r0); // the first refusal cannot be foreseen: its photos were embedded

    // new photos: sent as received — the engine's answer as directly, no model run
    for (const [k, tag] of [[4, 'b'], [8, 'c']] as const) {
      const nd = body(b.from + k, tag);
      const direct = await bulk(p.engineUrl, b.index, nd);
      const proxied = await bulk(p.url, b.index, nd);
      expect(proxied.status).toBe(direct.status);
      expect(withoutTook(proxied.body)).toEqual(withoutTook(direct.body));
      expect(proxied.body.items[0].index).toMatchObject({ status: b.status, error: { type: 'cluster_block_exception' } });
    }
    expect(await runs()).toBe(r1);

    // lifted (within the memo's time): the next _bulk is stored as received, its items saying so, and forgets the refusal
    expect((await p.engine.json('PUT', `/${b.index}/_settings`, { [b.setting]: null })).statusCode).toBe(200);
    const stored = await bulk(p.url, b.index, body(b.from + 12, 'd'));
    expect(stored.body.errors).toBe(false);
    for (const it of stored.body.items) {
      expect(it.index.status).toBe(201);
      expect(it.index.vlrerank?.error?.reason).toMatch(/sent as received .*vlrerank index backfill/);
    }
    expect(await runs()).toBe(r1);
    // …so the next gets its vectors on the normal path
    const again = await bulk(p.url, b.index, body(b.from + 16, 'e'));
    expect(again.body.errors).toBe(false);
    expect(again.body.vlrerank).toMatchObject({ documents_with_vectors: 4, documents_without_vectors: 0 });
    expect(await runs()).toBeGreaterThan(r1);
    await p.engine.json('POST', `/${b.index}/_refresh`);
    const has = async (tag: string) => (await p.engine.json<any>('POST', `/${b.index}/_count`, { query: { bool: { filter: [{ ids: { values: [0, 1, 2, 3].map((i) => `${tag}${i}`) } }, { exists: { field: 'image_vector' } }] } } })).body.count;
    expect(await has('e')).toBe(4);
    expect(await has('d')).toBe(0);
  });
});
