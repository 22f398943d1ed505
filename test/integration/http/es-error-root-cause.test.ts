/**
 * The errors vlrerank answers itself on Elasticsearch paths are written as Elasticsearch writes its
 * own — `error.root_cause`, `type`, `reason`, `status` — so the official client's `ResponseError`
 * says what is wrong: it builds its message from `root_cause`, and a vlrerank refusal read as a bare
 * `illegal_argument_exception`, its reason lost, where every engine error lists its root causes
 * (held-out probe round 12a). A refused `_msearch` item, `/_vlrerank/*` and a body vlrerank refuses
 * unread likewise. Real Elasticsearch 8.19 and 9.2, the official client.
 */
import { errors as esErrors } from '@elastic/elasticsearch';
import { beforeAll, describe, expect, it } from 'vitest';
import { ES_VERSIONS } from '../../helpers/engines.js';
import { esClient, type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-p12a-root-cause';
const DOCS = [{ title: 'oat drink', text: 'a drink made of oats' }, { title: 'red apple', text: 'a crisp red apple' }];

async function refusal(p: Promise<unknown>): Promise<InstanceType<typeof esErrors.ResponseError>> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(esErrors.ResponseError);
  return e as InstanceType<typeof esErrors.ResponseError>;
}

describe.each(ES_VERSIONS)("vlrerank's own errors read as the engine's through the official client (%s)", (engine) => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  it('a refused reranked search: root_cause, type, reason, status — and the reason in the message', async () => {
    const e = await refusal(esClient(p.url).search({ index: INDEX, size: 5, ext: { vlrerank: { query: 'oat', window: 2 } } } as never));
    expect(e.statusCode).toBe(400);
    const { error, status } = e.body as any;
    expect(status).toBe(400);
    expect(error.root_cause).toEqual([{ type: 'illegal_argument_exception', reason: error.reason }]);
    expect(error.reason).toMatch(/rerank window \[2\]/);
    expect(e.message).toContain(`illegal_argument_exception: ${error.reason}`);
    // the same keys an engine error has
    const engineErr = await refusal(esClient(p.url).search({ index: INDEX, query: { bogus: {} } } as never));
    for (const k of ['root_cause', 'type', 'reason']) expect(Object.keys(error)).toContain(k);
    for (const k of ['root_cause', 'type', 'reason']) expect(Object.keys((engineErr.body as any).error)).toContain(k);
  });

  it('an _msearch item vlrerank refuses, a /_vlrerank endpoint and a refused body: root_cause too', async () => {
    const ms = await esClient(p.url).msearch({ searches: [{ index: INDEX }, { size: 5, ext: { vlrerank: { query: 'oat', window: 2 } } }, { index: INDEX }, { query: { match_all: {} } }] } as never) as any;
    expect(ms.responses[0].status).toBe(400);
    expect(ms.responses[0].error.root_cause).toEqual([{ type: 'illegal_argument_exception', reason: ms.responses[0].error.reason }]);
    expect(ms.responses[1].hits.hits.length).toBe(2);

    const nf = await refusal(esClient(p.url).transport.request({ method: 'GET', path: '/_vlrerank/nothing-here' }));
    expect(nf.statusCode).toBe(404);
    expect((nf.body as any).error.root_cause[0].type).toBe('resource_not_found_exception');

    const r = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: '{}' });
    expect(r.status).toBe(415);
    const b = (await r.json()) as any;
    expect(b.error.root_cause).toEqual([{ type: b.error.type, reason: b.error.reason }]);
  });
});
