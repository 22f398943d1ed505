/**
 * `vlrerank eval --index` takes any index expression a search takes (a wildcard, a comma list, an
 * alias over several indices), but the report's thumbnails and the "relevant judged documents not
 * in the index" note read the documents with `_mget`, which takes one concrete index: the engine
 * answered each document `index_not_found_exception`, and the report had no thumbnails and no note,
 * unsaid (held-out probe round 12c, `--index 'e7-co*'` on OpenSearch 2.19). Now an `ids` search
 * reads them. The real engines, their own answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { absentIds, fetchSources } from '../../../src/eval/proxy-runner.js';
import { useEngine } from '../../helpers/engines.js';

const A = 'p12c-ids-a';
const B = 'p12c-ids-b';
const ALIAS = 'p12c-ids-both';
const ENGINES = ['opensearch', 'elasticsearch'] as const;

afterAll(async () => {
  for (const e of ENGINES) {
    const url = await useEngine(e);
    await fetch(`${url}/${A},${B}`, { method: 'DELETE' });
  }
});

describe('eval reads documents of any index expression', { timeout: 120_000 }, () => {
  it.each(ENGINES)('%s: a wildcard, a comma list and an alias over two indices', async (engine) => {
    const url = await useEngine(engine);
    await fetch(`${url}/${A},${B}`, { method: 'DELETE' });
    const bulk = [
      [A, 'a1', { caption: 'a dog', image: '/data/a1.jpg' }],
      [B, 'b1', { caption: 'a cat', image: '/data/b1.jpg' }],
    ]
      .map(([index, id, doc]) => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`)
      .join('');
    const r = await fetch(`${url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(((await r.json()) as { errors: boolean }).errors).toBe(false);
    const alias = await fetch(`${url}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: [{ add: { index: A, alias: ALIAS } }, { add: { index: B, alias: ALIAS } }] }) });
    expect(alias.status).toBe(200);
    for (const expr of ['p12c-ids-*', `${A},${B}`, ALIAS]) {
      const sources = await fetchSources(url, expr, ['a1', 'b1', 'zz']);
      expect([...sources.keys()].sort(), expr).toEqual(['a1', 'b1']);
      expect(sources.get('b1'), expr).toEqual({ caption: 'a cat', image: '/data/b1.jpg' });
      expect(await absentIds(url, expr, ['a1', 'b1', 'zz']), expr).toEqual(['zz']);
    }
    // one concrete index: as before
    expect([...(await fetchSources(url, A, ['a1', 'b1'])).keys()]).toEqual(['a1']);
    expect(await absentIds(url, A, ['a1', 'b1'])).toEqual(['b1']);
  });
});
