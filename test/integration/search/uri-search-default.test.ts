/**
 * A URI search (`GET /{index}/_search?q=…`, no body) on an index whose pipeline is `default` is
 * reranked as the same search with a body is: same hits, same scores, the `vlrerank` block. Before
 * (held-out probe round 5) a search without a body was streamed through untouched, in the first
 * stage's BM25 order, while `POST` with `{}` and the same `?q=` was reranked. Real Elasticsearch
 * 8.19, the knowledge-base pipeline (`default: true`), the real text model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-uri-it';
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults and raises the risk of fractures.' },
  { title: 'Sunlight', text: 'Exposure to sunlight lets the skin make vitamin D.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
  { title: 'Vitamin C', text: 'Vitamin C does not prevent the common cold.' },
];

describe('URI search on a default pipeline is reranked (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  it('GET ?q= answers as POST {} with the same ?q=', async () => {
    const q = `/${INDEX}/_search?q=${encodeURIComponent('vitamin D deficiency')}`;
    const withBody = (await (await fetch(`${p.url}${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as any;
    expect(withBody.vlrerank?.pipeline).toBe('knowledge-base');
    const uri = (await (await fetch(`${p.url}${q}`)).json()) as any;
    expect(uri.vlrerank?.pipeline).toBe('knowledge-base');
    const view = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);
    expect(view(uri)).toEqual(view(withBody));
    expect(uri.hits.total).toEqual(withBody.hits.total);
  });
});
