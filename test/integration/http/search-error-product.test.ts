/**
 * Errors vlrerank itself answers on search paths carry `x-elastic-product: Elasticsearch` when the
 * engine behind is Elasticsearch, as every answer of Elasticsearch itself does (the official client
 * checks it on successful answers; tools that check it on every answer would take ours for another
 * product) — including the fail-closed 503 (issue 13) — and do not claim it in front of OpenSearch.
 * The model failure is played by a fake named after it.
 */
import { Client as EsClient, errors as esErrors } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { vlrError } from '../../../src/errors.js';
import type { Scorer, ScoredDocument } from '../../../src/search/hit-scorer.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const INDEX = 'hard-http-closed';

/** The model fails (as onnxruntime does on a corrupt session). */
class FailingScorer implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_MODEL_RUNTIME', 'onnxruntime failed to run the text embedder');
  }
}

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function setup(engine: 'elasticsearch' | 'opensearch'): Promise<{ url: string; upstream: string }> {
  const upstream = await useEngine(engine);
  await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
  const bulk = [{ title: 'oat drink' }, { title: 'red apple' }].flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
  await fetch(`${upstream}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  const srv = await startEdgeServer({
    upstream,
    scorer: new FailingScorer(),
    pipelinesDir: onlyPipelines({ 'closed.yaml': `name: hard-http-closed\nindex_patterns: [${INDEX}]\nfailure: fail_closed\nfields: {text: [title]}\nfeatures: {store: index}\n` }),
  });
  servers.push(srv);
  await srv.services.engine.info();
  return { url: srv.url, upstream };
}

const search = { query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' } } };

describe('in front of Elasticsearch', () => {
  it('the fail-closed 503 carries x-elastic-product, so the ES client sees the real error', async () => {
    const { url, upstream } = await setup('elasticsearch');
    try {
      const raw = await fetch(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(search) });
      expect(raw.status).toBe(503);
      expect(raw.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(((await raw.json()) as { error: { vlrerank_code: string } }).error.vlrerank_code).toBe('VLR_RERANK_FAILED');

      const err = await new EsClient({ node: url }).search({ index: INDEX, ...search } as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(esErrors.ResponseError);
      expect((err as InstanceType<typeof esErrors.ResponseError>).statusCode).toBe(503);

      // a 400 of our own on a search path as well
      const bad = await fetch(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: JSON.stringify(search) });
      expect(bad.status).toBe(415);
      expect(bad.headers.get('x-elastic-product')).toBe('Elasticsearch');

      // `?pretty` indents vlrerank's own errors as the engine indents its own (they came compact)
      const indented = await fetch(`${url}/${INDEX}/_search?pretty`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: JSON.stringify(search) });
      expect(indented.status).toBe(415);
      const text = await indented.text();
      expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2) + '\n');
      const compact = await fetch(`${url}/${INDEX}/_search?pretty=false`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: JSON.stringify(search) });
      expect(await compact.text()).not.toContain('\n');

      // vlrerank's own endpoints and ingest's refusals too: the client's raw transport.request refused
      // `/_vlrerank/health` with ProductNotSupportedError; a write vlrerank refuses itself lacked it too
      const client = new EsClient({ node: url });
      const health = await client.transport.request({ method: 'GET', path: '/_vlrerank/health' });
      expect(health).toHaveProperty('status');
      const write = await fetch(`${url}/${INDEX}/_doc/x`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: '{"title":"x"}' });
      expect(write.status).toBe(415);
      expect(write.headers.get('x-elastic-product')).toBe('Elasticsearch');
      await write.arrayBuffer();
    } finally {
      await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
    }
  });
});

describe('in front of OpenSearch', () => {
  it('the fail-closed 503 does not claim to be Elasticsearch', async () => {
    const { url, upstream } = await setup('opensearch');
    try {
      const raw = await fetch(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(search) });
      expect(raw.status).toBe(503);
      expect(raw.headers.get('x-elastic-product')).toBeNull();
      await raw.arrayBuffer();
      const health = await fetch(`${url}/_vlrerank/health`);
      expect(health.headers.get('x-elastic-product')).toBeNull();
      await health.arrayBuffer();
    } finally {
      await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
    }
  });
});
