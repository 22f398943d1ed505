/**
 * A reranked search through an alias, a wildcard or a list whose own name no pipeline pattern
 * covers takes the pipeline its concrete indices share, as the index itself would: the same hits
 * and scores with ext.vlrerank, the retriever, the default pipeline, a URI search and an _msearch
 * item. Indices of different pipelines behind one name: a 400 naming each index's pipeline when
 * reranking was asked, the engine's own answer when not. A moved alias is seen once the cache
 * time (pipelines.aliasCacheMs) has passed. Before (held-out probe round 5) such a search was a 400
 * (`no vlrerank pipeline covers index`) with ext.vlrerank and never reranked by a default pipeline.
 * A plain search on an index no pipeline covers, without default pipelines, costs no lookup: the
 * engine calls are counted by a relay in front of it. Real Elasticsearch 8.19 and 9.2 and
 * OpenSearch 2.19 and 3.6 (all four answer `_resolve/index`), their official clients, the real
 * text model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { onlyPipelines } from '../../helpers/http-server.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { clientBulk, clientSearch, clientSearchRaw, ALL_ENGINES, esClient, isElasticsearch, osClient, pipelinesDir, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';

const KB = 'kb-alias-search-it'; // knowledge-base (kb-*, default)
const NOTES = 'notes-alias-search-it'; // notes-alias-search (a copy of knowledge-base under another name, not default)
const PLAIN = 'plain-alias-search-it'; // no pipeline
const ALIAS = 'papers-alias-search-it'; // → KB
const MIXED = 'mixed-alias-search-it'; // → KB, NOTES
const MOVING = 'moving-alias-search-it'; // → KB, then NOTES
const KB_YAML = readFileSync(join(REPO_ROOT, 'pipelines', 'knowledge-base.yaml'), 'utf8');
const NOTES_YAML = KB_YAML.replace(/^name: .*$/m, 'name: notes-alias-search').replace(/^index_patterns: .*$/m, 'index_patterns: [notes-alias-*]').replace(/^default: true$/m, 'default: false');
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults and raises the risk of fractures.' },
  { title: 'Sunlight', text: 'Exposure to sunlight lets the skin make vitamin D.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
  { title: 'Vitamin C', text: 'Vitamin C does not prevent the common cold.' },
];
const MATCH = { query: { match: { text: 'vitamin D deficiency' } } };
const view = (b: any) => b.hits.hits.map((h: any) => [h._index, h._id, h._score]);

describe.each(ALL_ENGINES)('searches through an alias or a wildcard take its indices\u2019 pipeline (%s)', (engine) => {
  let p: SearchProxy;
  let relay: CountingRelay;
  let counted: SearchProxy;
  const search = (index: string, body: object, extra: Record<string, unknown> = {}) => clientSearch(engine, p.url, { index, body, ...extra });
  const aliases = (actions: object[]) => p.engine.json('POST', '/_aliases', { actions });

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'notes.yaml': NOTES_YAML }), aliasCacheMs: 500 });
    for (const i of [KB, NOTES, PLAIN]) await p.engine.json('DELETE', `/${i}`);
    await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, KB);
    await setupIndex(p.engine, p.pipelines.get('notes-alias-search')!, NOTES);
    // through the proxy: each document with its feature record
    await clientBulk(engine, p.url, [KB, NOTES, PLAIN].flatMap((index) => DOCS.flatMap((d, i) => [{ index: { _index: index, _id: String(i) } }, d])));
    expect((await aliases([{ add: { index: KB, alias: ALIAS } }, { add: { index: KB, alias: MIXED } }, { add: { index: NOTES, alias: MIXED } }, { add: { index: KB, alias: MOVING } }])).statusCode).toBe(200);
    // a second proxy with no default pipeline, in front of a relay that counts its engine calls
    counted = await startSearchProxy(engine, {
      pipelinesDir: onlyPipelines({ 'notes.yaml': NOTES_YAML }),
      via: async (url) => (relay = await countingRelay(url)).url,
    });
  });
  afterAll(async () => {
    for (const i of [KB, NOTES, PLAIN]) await p?.engine.json('DELETE', `/${i}`);
    await counted?.close();
    await relay?.close();
    await p?.close();
  });

  it('an alias over one pipeline\u2019s index is reranked as the index: ext.vlrerank, retriever, default, URI search, _msearch', async () => {
    const bodies = [
      { size: 4, ...MATCH, ext: { vlrerank: {} } },
      { size: 4, retriever: { text_similarity_reranker: { retriever: { standard: MATCH }, field: 'text', inference_text: 'vitamin D deficiency' } } },
      { size: 4, ...MATCH }, // the default pipeline
    ];
    for (const body of bodies) {
      const direct = await search(KB, body);
      expect(direct.vlrerank?.pipeline, JSON.stringify(body)).toBe('knowledge-base');
      expect(direct.vlrerank.degraded, why(direct)).toBe(false);
      for (const name of [ALIAS, 'kb-alias-search-i*', `${ALIAS},${KB}`]) {
        const via = await search(name, body);
        expect(via.vlrerank?.pipeline, `${name} ${JSON.stringify(body)}`).toBe('knowledge-base');
        expect(view(via), `${name} ${JSON.stringify(body)}${why(via)}${why(direct)}`).toEqual(view(direct));
      }
    }
    const uri = (index: string) => fetch(`${p.url}/${index}/_search?q=${encodeURIComponent('vitamin D deficiency')}`).then((r) => r.json() as Promise<any>);
    const [uriAlias, uriIndex] = [await uri(ALIAS), await uri(KB)];
    expect(uriAlias.vlrerank?.pipeline).toBe('knowledge-base');
    expect(view(uriAlias)).toEqual(view(uriIndex));
    const searches = [{ index: ALIAS }, { size: 4, ...MATCH, ext: { vlrerank: {} } }, { index: KB }, { size: 4, ...MATCH, ext: { vlrerank: {} } }];
    const m = isElasticsearch(engine) ? await esClient(p.url).msearch({ searches } as never) : (await osClient(p.url).msearch({ body: searches } as never)).body;
    expect(m.responses.map((r: any) => r.vlrerank?.pipeline)).toEqual(['knowledge-base', 'knowledge-base']);
    expect(view(m.responses[0])).toEqual(view(m.responses[1]));
  });

  it('indices of different pipelines: a 400 naming them when reranking is asked, the engine\u2019s answer when not', async () => {
    const asked = await clientSearchRaw(engine, p.url, { index: MIXED, body: { ...MATCH, ext: { vlrerank: {} } } });
    expect(asked.statusCode).toBe(400);
    expect(asked.body.error.reason).toContain(`the indices [${MIXED}] names map to different vlrerank pipelines (${KB} → knowledge-base, ${NOTES} → notes-alias-search)`);
    const named = await search(MIXED, { ...MATCH, ext: { vlrerank: { pipeline: 'notes-alias-search' } } });
    expect(named.vlrerank?.pipeline).toBe('notes-alias-search');
    const unasked = await search(MIXED, MATCH);
    expect(unasked.vlrerank).toBeUndefined();
    const engineOwn = await p.engine.json<any>('POST', `/${MIXED}/_search`, MATCH);
    expect(view(unasked)).toEqual(view(engineOwn.body));
    // the wildcard over both says the same
    const wild = await clientSearchRaw(engine, p.url, { index: '*-alias-search-it', body: { ...MATCH, ext: { vlrerank: {} } } });
    expect(wild.statusCode).toBe(400);
    expect(wild.body.error.reason).toContain(`${PLAIN} → none`);
  });

  it('an alias moved to another index is seen once the cache time has passed', async () => {
    const asked = { ...MATCH, ext: { vlrerank: {} } };
    expect((await search(MOVING, asked)).vlrerank?.pipeline).toBe('knowledge-base');
    expect((await aliases([{ remove: { index: KB, alias: MOVING } }, { add: { index: NOTES, alias: MOVING } }])).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // pipelines.aliasCacheMs: 500
    const after = await search(MOVING, asked);
    expect(after.vlrerank?.pipeline).toBe('notes-alias-search');
    expect(after.hits.hits.every((h: any) => h._index === NOTES)).toBe(true);
  });

  it('costs no engine call when it cannot matter; one lookup per name and cache time when it does', async () => {
    const calls = async (fn: () => Promise<unknown>) => {
      const from = relay.seen.length;
      await fn();
      return relay.seen.slice(from);
    };
    const plain = (index: string, body: object) => clientSearch(engine, counted.url, { index, body });
    // no default pipeline and no rerank asked: the search alone, whatever the name
    expect(await calls(() => plain(PLAIN, MATCH))).toEqual([`POST /${PLAIN}/_search`]);
    expect(await calls(() => plain(MIXED, MATCH))).toEqual([`POST /${MIXED}/_search`]);
    // asked through an alias of the notes pipeline's index: resolved once, then from the cache (10 s here)
    const asked = { ...MATCH, ext: { vlrerank: {} } };
    const counting = 'counting-alias-search-it';
    const covered = `${NOTES}-x`; // an alias whose own name the pattern notes-alias-* covers: no lookup
    expect((await aliases([{ add: { index: NOTES, alias: counting } }, { add: { index: NOTES, alias: covered } }])).statusCode).toBe(200);
    const lookups = (seen: string[]) => seen.filter((c) => c.includes('_resolve') || c.includes('_alias'));
    const first = await calls(() => plain(counting, asked));
    expect(lookups(first)).toEqual([`GET /_resolve/index/${counting}`]);
    expect(first).toContain(`POST /${counting}/_search`);
    expect(lookups(await calls(() => plain(counting, asked)))).toEqual([]);
    expect(lookups(await calls(() => plain(covered, asked)))).toEqual([]);
  });
});
