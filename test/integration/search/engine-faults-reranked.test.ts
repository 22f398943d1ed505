/**
 * The engine misbehaving under a reranked search, and what the client reads back, compared with the
 * engine answering directly (held-out probe round 8a): an engine that closes the connection
 * mid-answer is an ES-shaped 502, never a 500 (`_search`, an `_msearch`'s plain items, a `_bulk` and
 * the stored-source read of an `_update` on an index that keeps records), and one cutting the
 * `_resolve/index` read of an alias is its 502, not the client's 400 "no pipeline covers"; the
 * engine's own 429 keeps its `Retry-After` and `Warning`; `X-Opaque-Id` comes back on every answer
 * vlrerank makes, as the engine echoes it; `?pretty` indents a reranked answer as the engine does,
 * and gzip/deflate code it for a client that accepts them, as the engine codes its own.
 * Real Elasticsearch 8.19, real models, the official client; the faults are played by a relay in
 * front of the engine (`faultyEngineRelay`), named after them.
 */
import { request as httpRequest } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { faultyEngineRelay, type FaultyRelay } from '../../helpers/upstream-fakes.js';

const INDEX = 'p8a-engine-faults';
const rerank = { size: 2, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: { text: 'oat milk' } } } };

let engine: string;
let relay: FaultyRelay;
let srv: RunningServer;

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  const docs = ['oat drink', 'oat milk barista', 'red apple', 'oat flakes'];
  const bulk = docs.flatMap((t, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title: t })]).join('\n') + '\n';
  await fetch(`${engine}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  relay = await faultyEngineRelay(engine);
  srv = await startEdgeServer({
    upstream: relay.url,
    pipelinesDir: onlyPipelines({ 'p.yaml': `name: p8a-faults\nindex_patterns: [${INDEX}]\nfailure: fail_open\nfields: {text: [title]}\n` }),
  });
});

afterAll(async () => {
  await srv?.close();
  await relay?.close();
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('the engine closes the connection mid-answer', () => {
  it('a reranked search is an ES-shaped 502 naming the cut, and the official client reads it', async () => {
    relay.arm('close-mid-answer', '/_search');
    const r = await post(`/${INDEX}/_search`, JSON.stringify(rerank));
    const body = (await r.json()) as { error: { type: string; reason: string }; status: number };
    expect(r.status).toBe(502);
    expect(body.status).toBe(502);
    expect(body.error.type).toBe('upstream_unreachable_exception');
    expect(body.error.reason).toMatch(/closed/);
    expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');

    relay.arm('close-mid-answer', '/_search');
    const err = await new Client({ node: srv.url, maxRetries: 0 }).search({ index: INDEX, ...rerank } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as InstanceType<typeof errors.ResponseError>).statusCode).toBe(502);

    // the next search is served again
    const ok = await post(`/${INDEX}/_search`, JSON.stringify(rerank));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { vlrerank: { degraded: unknown } }).vlrerank.degraded).toBe(false);
  });

  it("an _msearch answers its reranked item, and its plain items each a 502 (not a 500)", async () => {
    relay.arm('close-mid-answer', '/_msearch');
    const lines = [{ index: INDEX }, rerank, { index: INDEX }, { query: { match: { title: 'apple' } } }, { index: INDEX }, { size: 1 }];
    const r = await post('/_msearch', lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(200);
    const { responses } = (await r.json()) as { responses: Array<{ status: number; error?: { type: string } }> };
    expect(responses.map((x) => x.status)).toEqual([200, 502, 502]);
    expect(responses[1]!.error!.type).toBe('upstream_unreachable_exception');
  });
});

describe('the engine fails to say which indices an alias names', () => {
  it("a reranked search through an alias whose _resolve/index read is cut is the engine's 502, not the client's 400 'no pipeline covers'", async () => {
    const alias = 'zz-p8a-engine-faults-alias';
    await fetch(`${engine}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: [{ add: { index: INDEX, alias } }] }) });
    relay.arm('close-mid-answer', '/_resolve/index');
    const r = await post(`/${alias}/_search`, JSON.stringify(rerank));
    expect(r.status).toBe(502);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('upstream_unreachable_exception');
    // a failed read is not kept: the next search resolves the alias and is reranked
    const ok = await post(`/${alias}/_search`, JSON.stringify(rerank));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { vlrerank: { pipeline: string } }).vlrerank.pipeline).toBe('p8a-faults');
  });
});

describe("the engine's own refusals and headers", () => {
  it("the engine's 429 under a reranked search keeps its Retry-After and Warning, as directly", async () => {
    relay.arm('reject-429', '/_search');
    const r = await post(`/${INDEX}/_search`, JSON.stringify(rerank));
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.headers.get('warning')).toMatch(/search queue full/);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('es_rejected_execution_exception');
  });

  it('X-Opaque-Id is echoed on the errors vlrerank answers and on an _msearch it puts together, as the engine echoes it', async () => {
    const direct = await fetch(`${engine}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opaque-id': 'op-1' }, body: '{bad' });
    expect(direct.headers.get('x-opaque-id')).toBe('op-1');
    await direct.arrayBuffer();

    const tooWide = await post(`/${INDEX}/_search`, JSON.stringify({ ...rerank, ext: { vlrerank: { query: { text: 'oat' }, window: 100_000 } } }), { 'x-opaque-id': 'op-2' });
    expect(tooWide.status).toBe(400);
    expect(tooWide.headers.get('x-opaque-id')).toBe('op-2');
    await tooWide.arrayBuffer();

    const ms = await post('/_msearch', [{ index: INDEX }, rerank].map((l) => JSON.stringify(l)).join('\n') + '\n', { 'content-type': 'application/x-ndjson', 'x-opaque-id': 'op-3' });
    expect(ms.status).toBe(200);
    expect(ms.headers.get('x-opaque-id')).toBe('op-3');
    await ms.arrayBuffer();
  });

  it("an _msearch whose every item vlrerank refuses itself is still an Elasticsearch answer to the official client", async () => {
    await srv.services.engine.info();
    const res = await new Client({ node: srv.url }).msearch({ searches: [{ index: INDEX }, { ext: { vlrerank: { query: { text: 'oat' }, window: 100_000 } } }] } as never);
    const item = res.responses[0] as unknown as { status: number; error: { type: string } };
    expect(item.status).toBe(400);
    expect(item.error.type).toBe('illegal_argument_exception');
  });

  it('?pretty indents a reranked answer (the same hits as the compact one), as the engine indents its own', async () => {
    const direct = await (await fetch(`${engine}/${INDEX}/_search?pretty`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":1}' })).text();
    expect(direct).toMatch(/^\{\n {2}"took"/);
    const pretty = await (await post(`/${INDEX}/_search?pretty`, JSON.stringify(rerank))).text();
    const compact = await (await post(`/${INDEX}/_search?pretty=false`, JSON.stringify(rerank))).text();
    expect(pretty).toMatch(/^\{\n {2}"took"/);
    expect(compact).not.toMatch(/\n/);
    const ids = (t: string) => (JSON.parse(t) as { hits: { hits: Array<{ _id: string }> } }).hits.hits.map((h) => h._id);
    expect(ids(pretty)).toEqual(ids(compact));
  });
});

describe('content coding of a reranked answer, as the engine codes its own', () => {
  const raw = (path: string, body: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; bytes: Buffer }>((resolve, reject) => {
      const u = new URL(path, srv.url);
      const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it.each([
    ['gzip', 'gzip', gunzipSync],
    ['deflate', 'deflate', inflateSync],
    ['gzip;q=0.1, deflate', 'deflate', inflateSync],
  ] as const)('Accept-Encoding: %s → %s, the same hits', async (accept, coding, decode) => {
    const direct = await fetch(`${engine}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': accept }, body: '{"size":1}' });
    expect(direct.headers.get('content-encoding')).toBe(coding);
    await direct.arrayBuffer();
    const r = await raw(`/${INDEX}/_search`, JSON.stringify(rerank), { 'accept-encoding': accept });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe(coding);
    const body = JSON.parse(decode(r.bytes).toString()) as { hits: { hits: unknown[] }; vlrerank: { degraded: unknown } };
    expect(body.hits.hits.length).toBe(2);
    expect(body.vlrerank.degraded).toBe(false);
  });

  it('no coding when none is accepted, and the official client with compression on reads the reranked answer', async () => {
    const plain = await raw(`/${INDEX}/_search`, JSON.stringify(rerank), { 'accept-encoding': 'gzip;q=0, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.bytes.toString()).hits.hits.length).toBe(2);
    const res = await new Client({ node: srv.url, compression: true }).search({ index: INDEX, ...rerank } as never);
    expect((res as unknown as { vlrerank: { degraded: unknown } }).vlrerank.degraded).toBe(false);
    expect(res.hits.hits.length).toBe(2);
  });
});

describe('the engine closes the connection mid-answer under a write vlrerank reads the answer of', () => {
  const RECORDS = 'p8a-engine-faults-records';
  let writes: RunningServer;

  beforeAll(async () => {
    await fetch(`${engine}/${RECORDS}`, { method: 'DELETE' });
    // the mapping `vlrerank index setup` gives an index that keeps feature records
    const mappings = { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] }, properties: { title: { type: 'text' }, vlrerank_features: { type: 'binary', store: true }, vlrerank_features_key: { type: 'keyword' } } };
    await fetch(`${engine}/${RECORDS}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) });
    writes = await startEdgeServer({
      upstream: relay.url,
      pipelinesDir: onlyPipelines({ 'r.yaml': `name: p8a-faults-records\nindex_patterns: [${RECORDS}]\nfields: {text: [title]}\nfeatures: {store: index}\n` }),
    });
    const put = await fetch(`${writes.url}/${RECORDS}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"oat drink"}' });
    expect(put.status).toBe(201);
  });

  afterAll(async () => {
    await writes?.close();
    await fetch(`${engine}/${RECORDS}`, { method: 'DELETE' });
  });

  it("a write through an alias whose _alias read the engine cuts is not stored without its record unsaid: _doc a 502 unwritten, a _bulk item says why", async () => {
    const alias = 'zz-p8a-engine-faults-write-alias';
    await fetch(`${engine}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: [{ add: { index: RECORDS, alias } }] }) });
    relay.arm('close-mid-answer', '/_alias/');
    const d = await fetch(`${writes.url}/${alias}/_doc/10?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"oat bar"}' });
    expect(d.status).toBe(502);
    await d.arrayBuffer();
    expect((await fetch(`${engine}/${RECORDS}/_doc/10`)).status).toBe(404);

    relay.arm('close-mid-answer', '/_alias/');
    const lines = [{ index: { _index: alias, _id: '11' } }, { title: 'oat bar' }];
    const b = await fetch(`${writes.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
    expect(b.status).toBe(200);
    const item = ((await b.json()) as { items: Array<{ index: { status: number; vlrerank?: { error?: { reason: string } } } }> }).items[0]!.index;
    expect(item.status).toBe(201);
    expect(item.vlrerank?.error?.reason).toMatch(/could not tell which index alias/);

    // the engine answering again: the same write through the alias gets its record
    const ok = await fetch(`${writes.url}/${alias}/_doc/12?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"oat bar"}' });
    expect(ok.status).toBe(201);
    const stored = (await (await fetch(`${engine}/${RECORDS}/_doc/12?stored_fields=vlrerank_features`)).json()) as { fields?: Record<string, unknown> };
    expect(stored.fields?.vlrerank_features).toBeDefined();
  });

  it("a partial _update whose stored-source read is cut, and a _bulk whose answer is cut, are ES-shaped 502s (they were 500s)", async () => {
    relay.arm('close-mid-answer', `/${RECORDS}/_doc/1`);
    const u = await fetch(`${writes.url}/${RECORDS}/_update/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"doc":{"title":"oat drink, updated"}}' });
    expect(u.status).toBe(502);
    expect(((await u.json()) as { error: { type: string } }).error.type).toBe('upstream_unreachable_exception');

    relay.arm('close-mid-answer', '/_bulk');
    const lines = [{ index: { _index: RECORDS, _id: '2' } }, { title: 'oat milk' }];
    const b = await fetch(`${writes.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
    expect(b.status).toBe(502);
    expect(((await b.json()) as { error: { type: string } }).error.type).toBe('upstream_unreachable_exception');
  });
});
