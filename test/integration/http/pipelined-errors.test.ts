/**
 * Pipelined requests on one kept-alive connection are each answered, in order, errors included.
 * A request's response gets its socket only once the answers before it are written; vlrerank took
 * the missing socket for a client that had gone, dropped its error answer and destroyed the
 * connection (held-out probe round 7: a passthrough `_count`, then a `/v1/rerank` with bad JSON,
 * pipelined — one answer, then a close; every request after it lost). Real Elasticsearch 8.19, the
 * knowledge-base pipeline, the real text model; raw HTTP (clients that pipeline are rare, but
 * HTTP/1.1 allows it and the engine answers them all).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseResponses, rawExchange } from '../../helpers/raw-http.js';
import { type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-pipelined-it';

function request(method: string, path: string, body?: string, last = false): Buffer {
  const b = Buffer.from(body ?? '');
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...(body === undefined ? [] : ['Content-Type: application/json', `Content-Length: ${b.length}`]), ...(last ? ['Connection: close'] : [])];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), b]);
}

describe('pipelined requests with errors among them (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, [{ title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults.' }]);
  beforeAll(() => {
    p = proxy();
  });

  it('answers every request in order: passthrough, the rerank APIs’ 400s, a search’s 400, a reranked search, health', async () => {
    const reranked = JSON.stringify({ query: { match: { text: 'vitamin' } }, ext: { vlrerank: { query: { text: 'vitamin D' } } } });
    const sequence: Array<[string, string, string | undefined, number, (b: any) => void]> = [
      ['GET', `/${INDEX}/_count`, undefined, 200, (b) => expect(b.count).toBe(1)],
      ['POST', '/v1/rerank', '{nope', 400, (b) => expect(b.object).toBe('error')],
      ['POST', '/_vlrerank/rerank', '{"query": 5, "documents": ["a"]}', 400, (b) => expect(b.error.type).toBe('illegal_argument_exception')],
      ['GET', `/${INDEX}/_count`, undefined, 200, (b) => expect(b.count).toBe(1)],
      ['POST', `/${INDEX}/_search`, JSON.stringify({ ext: { vlrerank: { query: { text: 'x' }, pipeline: 'no-such-pipeline' } } }), 400, (b) => expect(b.status).toBe(400)],
      ['POST', `/${INDEX}/_search`, reranked, 200, (b) => expect(b.vlrerank.pipeline).toBe('knowledge-base')],
      ['POST', '/v2/rerank', '{"query": "q"}', 400, (b) => expect(b.object).toBe('error')],
      ['GET', '/_vlrerank/health', undefined, 200, (b) => expect(b.name).toBe('vlrerank')],
    ];
    const bytes = Buffer.concat(sequence.map(([m, path, body], i) => request(m, path, body, i === sequence.length - 1)));
    const answers = parseResponses(await rawExchange(p.url, bytes), sequence.map(([m]) => m));
    expect(answers.map((a) => a.status)).toEqual(sequence.map(([, , , status]) => status));
    for (const [i, [, , , , check]] of sequence.entries()) check(JSON.parse(answers[i]!.body.toString()));
  });
});
