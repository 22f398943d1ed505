/**
 * A search body sent in the query string (`GET …/_search?source={…}&source_content_type=application/json`),
 * which Elasticsearch and OpenSearch read as the body: a rerank asked there is reranked as the same
 * body POSTed is — it got the engine's 400 for `ext.vlrerank` (held-out probe round 8a); a plain
 * one, or one without `source_content_type`, is the engine's answer as directly. Real
 * Elasticsearch 8.19 and OpenSearch 2.19, real models.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine, type EngineName } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const INDEX = 'p8a-source-param';
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

type Answer = { hits: { hits: Array<{ _id: string; _score: number }> }; vlrerank?: { degraded: unknown }; error?: { type: string } };

for (const name of ['elasticsearch', 'opensearch'] as EngineName[]) {
  describe(`?source= on ${name}`, () => {
    it('a rerank in the query string is reranked as the same body POSTed; a plain one is the engine answer', async () => {
      const engine = await useEngine(name);
      await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
      const docs = ['oat drink', 'oat milk barista edition', 'red apple', 'oat flakes'];
      const bulk = docs.flatMap((t, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title: t })]).join('\n') + '\n';
      await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
      const srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'p.yaml': `name: p8a-source-param\nindex_patterns: [${INDEX}]\nfields: {text: [title]}\n` }) });
      servers.push(srv);
      try {
        const rerank = JSON.stringify({ size: 3, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: { text: 'oat milk' } } } });
        const q = (body: string, type = '&source_content_type=application/json') => `?source=${encodeURIComponent(body)}${type}`;
        const posted = (await (await fetch(`${srv.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rerank })).json()) as Answer;
        const viaQuery = await fetch(`${srv.url}/${INDEX}/_search${q(rerank)}`);
        expect(viaQuery.status).toBe(200);
        const got = (await viaQuery.json()) as Answer;
        expect(got.vlrerank?.degraded).toBe(false);
        expect(got.hits.hits.map((h) => [h._id, h._score])).toEqual(posted.hits.hits.map((h) => [h._id, h._score]));

        const plain = JSON.stringify({ size: 2, query: { match: { title: 'oat' } } });
        const direct = (await (await fetch(`${engine}/${INDEX}/_search${q(plain)}`)).json()) as Answer;
        const through = (await (await fetch(`${srv.url}/${INDEX}/_search${q(plain)}`)).json()) as Answer;
        expect(through.hits.hits.map((h) => [h._id, h._score])).toEqual(direct.hits.hits.map((h) => [h._id, h._score]));

        // no source_content_type: the engine's own refusal, as directly
        const d400 = await fetch(`${engine}/${INDEX}/_search${q(rerank, '')}`);
        const p400 = await fetch(`${srv.url}/${INDEX}/_search${q(rerank, '')}`);
        expect(p400.status).toBe(d400.status);
        expect(((await p400.json()) as Answer).error?.type).toBe(((await d400.json()) as Answer).error?.type);
      } finally {
        await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
      }
    }, 120_000);
  });
}
