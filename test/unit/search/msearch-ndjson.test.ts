import { describe, expect, it } from 'vitest';
import { parseMsearch, planMsearch } from '../../../src/search/msearch.js';
import { registry } from './helpers.js';

describe('_msearch NDJSON', () => {
  it('pairs headers and bodies, tolerating CRLF and blank lines between pairs', () => {
    const items = parseMsearch('{"index":"products"}\r\n{"query":{"match_all":{}}}\n\n{}\n{"size":1}\n');
    expect(items.map((i) => [i.header, i.body])).toEqual([
      [{ index: 'products' }, { query: { match_all: {} } }],
      [{}, { size: 1 }],
    ]);
    expect(items[0]!.headerLine).toBe('{"index":"products"}');
  });

  it.each([
    ['{"index":"a"}\n', 'must be followed by a search body'],
    ['{"index":"a"\n{}\n', 'line 1 is not valid JSON'],
    ['[1]\n{}\n', 'a header must be a JSON object'],
  ])('refuses %j naming the line', (text, msg) => {
    expect(() => parseMsearch(text)).toThrow(msg);
  });

  it('plans each sub-search on its own: plain, rerank (header index + search_pipeline), error', async () => {
    const items = parseMsearch(
      [
        '{"index":"logs"}', '{"query":{"match":{"m":"x"}}}',
        '{"search_pipeline":"products","routing":"r1"}', '{"query":{"match":{"title":"milk"}},"ext":{"rerank":{"query_context":{"query_text":"oat milk"}}}}',
        '{"index":["products"]}', '{"ext":{"vlrerank":{"window":0}}}',
      ].join('\n') + '\n',
    );
    const plan = await planMsearch(items, 'products', new URLSearchParams('typed_keys=true&max_concurrent_searches=3'), { pipelines: registry });
    expect(plan.map((p) => p.kind)).toEqual(['plain', 'rerank', 'error']);
    const rr = plan[1] as Extract<(typeof plan)[number], { kind: 'rerank' }>;
    expect(rr.index).toBe('products');
    expect(rr.spec.query.text).toBe('oat milk');
    expect(rr.spec.params.toString()).toBe('typed_keys=true&routing=r1');
  });
});
