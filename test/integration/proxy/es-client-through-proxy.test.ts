/**
 * The official @elastic/elasticsearch 8.19 client pointed at vlrerank in front of a real
 * Elasticsearch 8.19 and 9.2 (which accepts the 8.19 client through its REST compatibility
 * headers) gets the same answers as pointed at the engine itself (issue 3 §6): index
 * creation, _bulk of 3,000 real abstracts, HEAD exists, get/mget, search with aggregations and
 * highlighting, _msearch, scroll, search_after, _count, _cat, a gzip-compressed request, a 404
 * index_not_found_exception and a 400 parse error. Timings (`took`) and scroll ids aside.
 *
 * (The thin ES build from Maven has no by-query APIs; those run in the OpenSearch workload.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { ES_VERSIONS, useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import { answer, comparable, type Answer } from '../../helpers/compare.js';
import { scifactDocs, SCIFACT_MAPPINGS } from '../../helpers/scifact-docs.js';
import type { RunningServer } from '../../../src/server/start.js';

const A = 'vlr-it-es-direct';
const B = 'vlr-it-es-proxied';
const MISSING = 'vlr-it-es-no-such-index';
const docs = scifactDocs(3000);

let server: RunningServer;
let direct: Client;
let proxied: Client;

/** Run the same call on both clients and expect equal answers. */
async function same(call: (c: Client) => Promise<unknown>, renames: Array<[string, string]> = []): Promise<Answer> {
  const d = await answer(call(direct));
  const p = await answer(call(proxied));
  expect(comparable(p, renames)).toEqual(comparable(d, renames));
  return p;
}

function bulkOps(index: string) {
  return docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
}

describe.each(ES_VERSIONS)('@elastic/elasticsearch 8.19 through the proxy to %s', (engine) => {
  beforeAll(async () => {
    const es = await useEngine(engine);
    server = await startProxy([es]);
    direct = new Client({ node: es });
    proxied = new Client({ node: server.url });
    await direct.indices.delete({ index: [A, B], ignore_unavailable: true });
  });

  afterAll(async () => {
    await direct?.indices.delete({ index: [A, B], ignore_unavailable: true });
    await direct?.close();
    await proxied?.close();
    await server?.close();
  });

  it('creates an index with mappings and bulk-indexes 3,000 documents alike', async () => {
    const settings = { number_of_shards: 1, number_of_replicas: 0 };
    const cd = await answer(direct.indices.create({ index: A, settings, mappings: SCIFACT_MAPPINGS }, { meta: true }));
    const cp = await answer(proxied.indices.create({ index: B, settings, mappings: SCIFACT_MAPPINGS }, { meta: true }));
    expect(comparable(cp, [[B, A]])).toEqual(comparable(cd, [[B, A]]));
    expect(cp.statusCode).toBe(200);

    const bd = await answer(direct.bulk({ operations: bulkOps(A), refresh: true }, { meta: true }));
    const bp = await answer(proxied.bulk({ operations: bulkOps(B), refresh: true }, { meta: true }));
    expect((bp.body as { errors: boolean; items: unknown[] }).errors).toBe(false);
    expect((bp.body as { items: unknown[] }).items).toHaveLength(3000);
    expect(comparable(bp, [[B, A]])).toEqual(comparable(bd, [[B, A]]));
  });

  it('HEAD exists answers alike for present and missing indices and documents', async () => {
    expect((await same((c) => c.indices.exists({ index: B }, { meta: true }))).statusCode).toBe(200);
    expect((await same((c) => c.indices.exists({ index: MISSING }, { meta: true }))).statusCode).toBe(404);
    expect((await same((c) => c.exists({ index: B, id: docs[5]!.id }, { meta: true }))).body).toBe(true);
    expect((await same((c) => c.exists({ index: B, id: 'no-such-doc' }, { meta: true }))).body).toBe(false);
  });

  it('get and mget', async () => {
    const g = await same((c) => c.get({ index: B, id: docs[42]!.id }, { meta: true }));
    expect((g.body as { _source: { title: string } })._source.title).toBe(docs[42]!.title);
    expect((await same((c) => c.get({ index: B, id: 'no-such-doc' }, { meta: true }))).statusCode).toBe(404);
    const m = await same((c) => c.mget({ index: B, ids: [docs[1]!.id, docs[2]!.id, 'no-such-doc'] }, { meta: true }));
    expect((m.body as { docs: Array<{ found: boolean }> }).docs.map((d) => d.found)).toEqual([true, true, false]);
  });

  it('search with aggregations and highlighting', async () => {
    const r = await same((c) =>
      c.search(
        {
          index: B,
          size: 20,
          query: { match: { text: 'cerebral white matter diffusion' } },
          aggs: { buckets: { terms: { field: 'bucket' } }, mean_n: { avg: { field: 'n' } } },
          highlight: { fields: { text: {} } },
        },
        { meta: true },
      ),
    );
    const body = r.body as { hits: { hits: Array<{ highlight?: unknown }> }; aggregations: { buckets: { buckets: unknown[] } } };
    expect(body.hits.hits.length).toBe(20);
    expect(body.hits.hits[0]!.highlight).toBeDefined();
    expect(body.aggregations.buckets.buckets.length).toBe(10);
  });

  it('_msearch', async () => {
    const r = await same((c) =>
      c.msearch({ searches: [{ index: B }, { query: { match: { title: 'cancer' } }, size: 5 }, { index: B }, { query: { term: { bucket: 'b3' } }, size: 0 }] }, { meta: true }),
    );
    const res = (r.body as { responses: Array<{ hits: { total: { value: number } } }> }).responses;
    expect(res).toHaveLength(2);
    expect(res[1]!.hits.total.value).toBe(300);
  });

  it('scroll through every document', async () => {
    const collect = async (c: Client) => {
      const pages: unknown[] = [];
      let r = await c.search({ index: B, scroll: '30s', size: 700, sort: ['n'], _source: ['n'] });
      while (r.hits.hits.length > 0) {
        pages.push(r.hits.hits);
        r = await c.scroll({ scroll_id: r._scroll_id!, scroll: '30s' });
      }
      const cleared = await c.clearScroll({ scroll_id: r._scroll_id! }, { meta: true });
      return { pages, cleared: comparable(await answer(Promise.resolve(cleared))) };
    };
    const d = await collect(direct);
    const p = await collect(proxied);
    expect(p.pages).toHaveLength(5);
    expect(p).toEqual(d);
  });

  it('search_after pages alike', async () => {
    let after: unknown[] | undefined;
    let seen = 0;
    for (let i = 0; i < 4; i++) {
      const r = await same((c) => c.search({ index: B, size: 250, sort: [{ n: 'asc' }], query: { match: { text: 'protein' } }, search_after: after as never }, { meta: true }));
      const hits = (r.body as { hits: { hits: Array<{ sort: unknown[] }> } }).hits.hits;
      if (hits.length === 0) break;
      seen += hits.length;
      after = hits[hits.length - 1]!.sort;
    }
    expect(seen).toBeGreaterThan(250);
  });

  it('_count', async () => {
    expect((await same((c) => c.count({ index: B }, { meta: true }))).body).toMatchObject({ count: 3000 });
    expect((await same((c) => c.count({ index: B, query: { term: { bucket: 'b7' } } }, { meta: true }))).body).toMatchObject({ count: 300 });
  });

  it('_cat APIs (text and JSON)', async () => {
    const t = await same((c) => c.cat.count({ index: B, v: true }, { meta: true }));
    expect(String(t.body)).toMatch(/epoch\s+timestamp\s+count/);
    // only columns that do not depend on timing or on-disk size
    const j = await same((c) => c.cat.indices({ index: B, h: 'health,status,index,pri,rep,docs.count', format: 'json' }, { meta: true }));
    expect(j.body).toEqual([{ health: 'green', status: 'open', index: B, pri: '1', rep: '0', 'docs.count': '3000' }]);
  });

  it('a gzip-compressed request (client compression on)', async () => {
    const es = await useEngine(engine);
    const dz = new Client({ node: es, compression: true });
    const pz = new Client({ node: server.url, compression: true });
    try {
      const body = { size: 3, query: { match: { title: 'vitamin' } } };
      const d = await answer(dz.search({ index: B, ...body }, { meta: true }));
      const p = await answer(pz.search({ index: B, ...body }, { meta: true }));
      expect(p.statusCode).toBe(200);
      expect(comparable(p)).toEqual(comparable(d));
    } finally {
      await dz.close();
      await pz.close();
    }
  });

  it('404 index_not_found_exception', async () => {
    const r = await same((c) => c.search({ index: MISSING, query: { match_all: {} } }, { meta: true }));
    expect(r.statusCode).toBe(404);
    expect(r.body).toMatchObject({ error: { type: 'index_not_found_exception' }, status: 404 });
  });

  it('400 parse error', async () => {
    const r = await same((c) => c.transport.request({ method: 'POST', path: `/${B}/_search`, body: { query: { no_such_query: {} } } }, { meta: true }));
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatchObject({ error: { type: 'parsing_exception' }, status: 400 });
    const bad = await same((c) => c.transport.request({ method: 'POST', path: `/${B}/_search`, body: '{"query": {bad json' }, { meta: true, headers: { 'content-type': 'application/json' } }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatchObject({ status: 400 });
  });
});
