/**
 * An index whose mapping keeps the pipeline's fields out of `_source` (`_source.excludes`, or
 * `_source.enabled: false`): no candidate can be read, so nothing is reranked. Each hit was given
 * `_score` 0 with `degraded: false` — a silently different answer from the engine's (held-out
 * probe round 8a). Now: fail_open answers the first stage's order and scores, flagged
 * `degraded: "failed"` with the reason; fail_closed its 503. Real Elasticsearch 8.19, the official
 * client; the scorer is never reached.
 */
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const EXCLUDED = 'p8a-src-excluded';
const DISABLED = 'p8a-src-disabled';
const CLOSED = 'p8a-src-closed';
const docs = ['oat drink', 'oat milk barista edition', 'red apple', 'oat flakes with oat bran'];

let engine: string;
let srv: RunningServer;

async function makeIndex(name: string, source: Record<string, unknown>): Promise<void> {
  await fetch(`${engine}/${name}`, { method: 'DELETE' });
  const r = await fetch(`${engine}/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { _source: source, properties: { title: { type: 'text' }, sku: { type: 'keyword' } } } }) });
  expect(r.status).toBe(200);
  const bulk = docs.flatMap((t, i) => [JSON.stringify({ index: { _index: name, _id: String(i) } }), JSON.stringify({ title: t, sku: `s${i}` })]).join('\n') + '\n';
  await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
}

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
  await makeIndex(EXCLUDED, { excludes: ['title'] });
  await makeIndex(DISABLED, { enabled: false });
  await makeIndex(CLOSED, { excludes: ['title'] });
  srv = await startEdgeServer({
    upstream: engine,
    pipelinesDir: onlyPipelines({
      'open.yaml': `name: p8a-src-open\nindex_patterns: [${EXCLUDED}, ${DISABLED}]\nfailure: fail_open\nfields: {text: [title]}\n`,
      'closed.yaml': `name: p8a-src-closed\nindex_patterns: [${CLOSED}]\nfailure: fail_closed\nfields: {text: [title]}\n`,
    }),
  });
});

afterAll(async () => {
  await srv?.close();
  for (const i of [EXCLUDED, DISABLED, CLOSED]) await fetch(`${engine}/${i}`, { method: 'DELETE' });
});

const ask = { size: 3, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: { text: 'oat milk' } } } };

describe('the pipeline fields are not in _source', () => {
  for (const index of [EXCLUDED, DISABLED]) {
    it(`${index}: fail_open answers the first stage's hits and scores, flagged with the reason`, async () => {
      const direct = (await (await fetch(`${engine}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 3, query: ask.query }) })).json()) as { hits: { hits: Array<{ _id: string; _score: number }> } };
      const r = await fetch(`${srv.url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-vlrerank-degraded')).toBe('VLR_RERANK_FAILED');
      const body = (await r.json()) as { hits: { hits: Array<{ _id: string; _score: number }> }; vlrerank: { degraded: unknown; reason: string } };
      expect(body.vlrerank.degraded).toBe('failed');
      expect(body.vlrerank.reason).toMatch(/_source/);
      expect(body.hits.hits.map((h) => h._id)).toEqual(direct.hits.hits.map((h) => h._id));
      expect(body.hits.hits.map((h) => h._score)).toEqual(direct.hits.hits.map((h) => h._score));
    });
  }

  it('fail_closed answers its 503, which the official client reads as a ResponseError', async () => {
    const err = await new Client({ node: srv.url, maxRetries: 0 }).search({ index: CLOSED, ...ask } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    const e = err as InstanceType<typeof errors.ResponseError>;
    expect(e.statusCode).toBe(503);
    expect(JSON.stringify(e.body)).toMatch(/_source/);
  });
});
