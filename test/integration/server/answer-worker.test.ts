/**
 * Large answers are written in the JSON worker, small ones on the main thread, and the client gets
 * the same bytes either way (task ld27, issue 13: a `/v1/rerank` answer echoing 10 MiB of documents,
 * or a reranked `_search` carrying large `_source`s, was stringified on the event loop while health
 * waited). Real servers with `server.answerWorkerFromBytes` forced low (every answer to the worker)
 * and high (none), the real text model, real Elasticsearch 8.19 for the search. Which thread wrote
 * an answer is read from the server's worker (`answersOffThread`, and what its `stringify` returned).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import type { StringifyResult } from '../../../src/util/json-worker.js';
import { stringifyAnswer } from '../../../src/util/json-tokens.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

/** What the server's worker wrote for each answer: the value, and its result. */
function recordAnswers(srv: RunningServer): Array<{ value: unknown; result: StringifyResult }> {
  const worker = srv.services.jsonWorker;
  const stringify = worker.stringify.bind(worker);
  const seen: Array<{ value: unknown; result: StringifyResult }> = [];
  worker.stringify = async (value, indent) => {
    const result = await stringify(value, indent);
    seen.push({ value, result });
    return result;
  };
  return seen;
}

const post = async (url: string, body: unknown) => {
  // identity: the answer as written (fetch would ask gzip and decode it)
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' }, body: JSON.stringify(body) });
  const bytes = Buffer.from(await r.arrayBuffer());
  expect(Number(r.headers.get('content-length'))).toBe(bytes.length); // written a slice per turn (over 1 MiB), with its length
  return { status: r.status, bytes };
};

describe('/v1/rerank with return_documents', () => {
  let low: RunningServer;
  let high: RunningServer;
  beforeAll(async () => {
    low = await startRerankServer({ 'rerank.warmup': false, 'server.answerWorkerFromBytes': 1 });
    servers.push(low);
    high = await startRerankServer({ 'rerank.warmup': false, 'server.answerWorkerFromBytes': 2 ** 40 });
    servers.push(high);
  });

  const docs = ['Vitamin D supplements and the risk of hip fractures in older adults. ', 'Le café « noir » réduit-il la fatigue ? \u{1F600} ', 'Protein expression in mouse cells "in vitro" \\ control. ']
    .map((s, i) => s.repeat(Math.ceil((400 * 1024) / s.length)) + ` end ${i}`);
  const request = { model: 'rerank', query: 'vitamin D and bone fractures', documents: docs, return_documents: true };

  it('answers the same bytes written in the worker (forced low) as on the main thread (forced high)', async () => {
    const [a, b] = [await post(`${low.url}/v1/rerank`, request), await post(`${high.url}/v1/rerank`, request)];
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.bytes.length).toBeGreaterThan(1024 * 1024); // the documents are echoed: written in slices (answer-json.ts)
    // the same bytes but the answer's id (a new random one per answer)
    const id = /^\{"id":"[0-9a-f-]{36}"/;
    expect(id.test(a.bytes.toString('latin1'))).toBe(true);
    expect(Buffer.from(a.bytes.toString('latin1').replace(id, '{"id":""'), 'latin1').equals(Buffer.from(b.bytes.toString('latin1').replace(id, '{"id":""'), 'latin1'))).toBe(true);
    expect(low.services.jsonWorker.answersOffThread).toBeGreaterThanOrEqual(1);
    expect(high.services.jsonWorker.answersOffThread).toBe(0);
  }, 120_000);

  it('with the default bound, a large answer goes to the worker and a small one does not', async () => {
    const srv = await startRerankServer({ 'rerank.warmup': false });
    servers.push(srv);
    const seen = recordAnswers(srv);
    const small = await post(`${srv.url}/v1/rerank`, { ...request, documents: ['short one', 'short two'] });
    expect(small.status).toBe(200);
    expect(srv.services.jsonWorker.answersOffThread).toBe(0);
    const large = await post(`${srv.url}/v1/rerank`, request);
    expect(large.status).toBe(200);
    expect(srv.services.jsonWorker.answersOffThread).toBe(1);
    expect(seen.map((s) => s.result.ok && s.result.offThread)).toEqual([false, true]);
    expect(large.bytes.equals(Buffer.from(JSON.stringify(seen[1]!.value)))).toBe(true);
  }, 120_000);
});

describe('a reranked _search with large _sources (Elasticsearch 8.19)', () => {
  const INDEX = 'ld27-answer-worker';
  const titles = ['oat drink', 'red apple', 'whole milk'];
  // as sent and stored: numbers JSON.parse would not print back (a long past 2^53, `1.0`, `-0.0`) are written as the engine wrote them
  const source = (i: number) => `{"title":"${titles[i]}","id":${1234567890123456789n + BigInt(i)},"price":1.0,"z":-0.0,"tags":["a","\u00e9"],"body":"paragraph ${i} « ${'text '.repeat(50_000)}"}`;

  it('answers the bytes JSON.stringify writes, from the worker (forced low) and the main thread (forced high), ?pretty too', async () => {
    const engine = await useEngine('elasticsearch');
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    try {
      await fetch(`${engine}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { properties: { body: { type: 'text', index: false } } } }) });
      const bulk = titles.flatMap((_, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), source(i)]).join('\n') + '\n';
      const put = await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
      expect(((await put.json()) as { errors: boolean }).errors).toBe(false);
      const pipelinesDir = onlyPipelines({ 'p.yaml': `name: ld27-answer-worker\nindex_patterns: [${INDEX}]\nfields: {text: [title]}\nbudget_ms: 120000\n` });
      const search = { size: 3, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'a red apple' } } } };
      for (const [bound, offThread] of [[1, true], [2 ** 40, false]] as const) {
        const srv = await startEdgeServer({ upstream: engine, pipelinesDir, server: { answerWorkerFromBytes: bound } });
        servers.push(srv);
        const seen = recordAnswers(srv);
        for (const path of [`/${INDEX}/_search`, `/${INDEX}/_search?pretty`]) {
          const r = await post(`${srv.url}${path}`, search);
          expect(r.status).toBe(200);
          const last = seen.at(-1)!;
          expect(last.result).toMatchObject({ ok: true, offThread });
          const pretty = path.endsWith('pretty');
          expect(r.bytes.equals(Buffer.from(pretty ? stringifyAnswer(last.value, 2) + '\n' : stringifyAnswer(last.value)))).toBe(true);
          const text = r.bytes.toString();
          const answer = JSON.parse(text) as { hits: { hits: Array<{ _id: string }> }; vlrerank: { degraded: unknown } };
          expect(answer.vlrerank.degraded).toBe(false);
          expect(answer.hits.hits[0]!._id).toBe('1'); // reranked: 'red apple' first
          if (!pretty) for (const h of answer.hits.hits) expect(text).toContain(`"_source":${source(Number(h._id))}`); // as stored, byte for byte
          else expect(text).toContain('"price": 1.0');
        }
        expect(srv.services.jsonWorker.answersOffThread).toBe(offThread ? 2 : 0);
      }
    } finally {
      await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    }
  }, 240_000);
});
