/**
 * A reranked search whose first-stage answer is large (1 MiB or more: six hits of ~220 KiB of
 * `_source` each) has it read in the server's JSON worker, not on the main thread (task ld25: its
 * UTF-8 decoding, JSON.parse and token scan held the event loop while health and passthrough
 * waited — round 24a's known gap), and answers what it answered before: each hit's `_source` as
 * the engine stored it, a long past 2^53, `-0.0`, `1.0`, an escape and a lone surrogate included.
 * What the server's worker is asked to parse is counted (its `parse`, wrapped): the request body is
 * small (read on the main thread), so the one large body it gets is the answer. Real
 * Elasticsearch 8.19 and OpenSearch 2.19, real models.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine, type EngineName } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';

const INDEX = 'ld25-large-answer';
const MIB = 1024 * 1024; // search/first-stage-answer.ts SMALL_ANSWER
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const titles = ['oat drink', 'oat milk barista edition', 'red apple', 'oat flakes', 'whole milk', 'oat bar'];
/** Each document as sent (and stored: the engines keep `_source` as sent): tokens JSON.parse would not print back. */
const source = (i: number) =>
  `{"title":"${titles[i]}","id":${1234567890123456789n + BigInt(i)},"z":-0.0,"price":1.0,"e":"caf\\u00e9","lone":"\\ud800","pad":"${`paragraph ${i} `.repeat(Math.ceil((220 * 1024) / 13)).slice(0, 220 * 1024)}"}`;

for (const name of ['elasticsearch', 'opensearch'] as EngineName[]) {
  describe(`a large first-stage answer on ${name}`, () => {
    it('is read in the JSON worker and answered as before, every _source as stored', async () => {
      const engine = await useEngine(name);
      await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
      await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { properties: { pad: { type: 'text', index: false } } } }) });
      const bulk = titles.flatMap((_, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), source(i)]).join('\n') + '\n';
      const put = await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
      expect(((await put.json()) as { errors: boolean }).errors).toBe(false);
      const srv = await startEdgeServer({ upstream: engine, pipelinesDir: onlyPipelines({ 'p.yaml': `name: ld25-large-answer\nindex_patterns: [${INDEX}]\nfields: {text: [title]}\nbudget_ms: 120000\n` }) }); // a budget no loaded machine reaches: the models load at the first search
      servers.push(srv);
      try {
        const first = { size: 6, query: { match_all: {} } };
        const direct = await (await fetch(`${engine}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(first) })).arrayBuffer();
        expect(direct.byteLength).toBeGreaterThanOrEqual(MIB); // the first stage's answer is large

        const worker = srv.services.jsonWorker;
        const parse = worker.parse.bind(worker);
        const parsed: number[] = []; // sizes of what the worker was asked to parse
        worker.parse = (bytes, o) => (parsed.push(bytes.length), parse(bytes, o));
        const r = await fetch(`${srv.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...first, ext: { vlrerank: { query: { text: 'a red apple' } } } }) });
        expect(r.status).toBe(200);
        const text = await r.text();
        expect(parsed).toHaveLength(1); // the answer went to the thread (the small request body did not)
        expect(parsed[0]).toBeGreaterThanOrEqual(MIB);

        const answer = JSON.parse(text) as { hits: { hits: Array<{ _id: string }> }; vlrerank: { degraded: unknown } };
        expect(answer.vlrerank.degraded).toBe(false);
        expect(answer.hits.hits.map((h) => h._id).sort()).toEqual(titles.map((_, i) => String(i)));
        expect(answer.hits.hits[0]!._id).toBe('2'); // 'red apple': reranked, not match_all's order
        for (let i = 0; i < titles.length; i++) expect(text).toContain(`"_source":${source(i)}`); // as stored, byte for byte
      } finally {
        await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
      }
    }, 180_000);
  });
}
