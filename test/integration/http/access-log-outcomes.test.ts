/**
 * The access log and the request metrics see every request and say what a rerank did (issue 13,
 * held-out probe round 12b): a request Node's HTTP parser refuses (an unknown method, a malformed
 * request line, headers too large) gets Node's own answer as before and now one access line
 * (route `unparsed`, the error code, its target redacted) and a count in
 * `vlrerank_requests_total{route="unparsed"}` — raw sockets, as no client library sends these;
 * an access line carries the client's `X-Opaque-Id` (cut to 256 characters) and, for a reranked
 * search (official ES client) or a rerank API call, a `rerank` object: pipeline, degraded or not
 * and why, documents. The degraded search's model failure is played by a fake named after it.
 */
import { Writable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { vlrError } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { Scorer, ScoredDocument } from '../../../src/search/hit-scorer.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines, startEdgeServer } from '../../helpers/http-server.js';
import { rawExchange } from '../../helpers/raw-http.js';
import { counterSum } from '../../helpers/metrics.js';

const INDEX = 'w3a-access-outcomes';
const SECRET = 'w3a-S3cret-token';

/** The model fails (as onnxruntime does on a corrupt session). */
class FailingModel implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    throw vlrError('VLR_MODEL_RUNTIME', 'onnxruntime failed to run the text embedder');
  }
}

/** The model takes a second and a half (a cold, loaded machine): long enough for a client to give up first. */
class SlowModel implements Scorer {
  async score(): Promise<ScoredDocument[]> {
    await new Promise((r) => setTimeout(r, 1500));
    throw vlrError('VLR_TIMEOUT', 'the slow model gave up');
  }
}

interface Access {
  method?: string;
  path: string;
  status: number;
  route: string;
  opaque_id?: string;
  error?: string;
  aborted?: true;
  code?: string;
  shed_reason?: string;
  rerank?: { pipeline?: string; degraded: string | false; reason?: string; documents: number; searches?: number };
}

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
const accessLines = (): Access[] => lines.map((l) => JSON.parse(l) as { access?: Access }).flatMap((l) => (l.access ? [l.access] : []));

const servers: RunningServer[] = [];
let url: string;
let failing: string;
let slow: string;
let lateServer: RunningServer;

beforeAll(async () => {
  const upstream = await useEngine('elasticsearch');
  await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
  const bulk = [{ title: 'oat drink' }, { title: 'red apple' }, { title: 'oat flakes' }].flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
  await fetch(`${upstream}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  const pipelinesDir = onlyPipelines({ 'p.yaml': `name: w3a-outcomes\nindex_patterns: [${INDEX}]\nfailure: fail_open\nfields: {text: [title]}\n` });
  const srv = await startEdgeServer({ upstream, pipelinesDir, log: { level: 'info', access: true }, logger });
  const bad = await startEdgeServer({ upstream, pipelinesDir, log: { level: 'info', access: true }, logger, scorer: new FailingModel() });
  const late = await startEdgeServer({ upstream, pipelinesDir, log: { level: 'info', access: true }, logger, scorer: new SlowModel() });
  servers.push(srv, bad, late);
  url = srv.url;
  failing = bad.url;
  slow = late.url;
  lateServer = late;
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

const settle = () => new Promise((r) => setTimeout(r, 50)); // the finish listener runs after the client has the answer

it('a request Node refuses before routing: its own answer, one access line (target redacted), counted as route "unparsed"', async () => {
  const sent = [
    { req: `M1X /${INDEX}/_search?token=${SECRET} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 400 },
    { req: 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n', status: 400 },
    { req: `GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431 },
  ];
  for (const s of sent) {
    const raw = (await rawExchange(url, s.req)).toString('latin1');
    expect(raw.startsWith(`HTTP/1.1 ${s.status} `)).toBe(true);
    expect(raw).toContain('Connection: close');
  }
  await settle();
  const unparsed = accessLines().filter((a) => a.route === 'unparsed');
  expect(unparsed.map((a) => a.status)).toEqual([400, 400, 431]);
  expect(unparsed[0]).toMatchObject({ method: 'M1X', path: `/${INDEX}/_search?token=[redacted]`, error: 'HPE_INVALID_METHOD' });
  expect(unparsed[2]!.error).toBe('HPE_HEADER_OVERFLOW');
  expect(lines.join('\n')).not.toContain(SECRET);
  const metrics = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  expect(metrics).toContain('vlrerank_requests_total{route="unparsed",status="400"} 2');
  expect(metrics).toContain('vlrerank_requests_total{route="unparsed",status="431"} 1');
});

it('a reranked search and a degraded one: the access line has X-Opaque-Id and the rerank outcome; a passthrough has no rerank', async () => {
  const opaque = 'w3a-req-' + 'x'.repeat(400);
  const client = new Client({ node: url });
  await client.search({ index: INDEX, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' } } } as never, { opaqueId: opaque });
  await client.count({ index: INDEX }, { opaqueId: 'w3a-count' });
  const item = { query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' } } };
  await client.msearch({ searches: [{ index: INDEX }, item, { index: INDEX }, item, { index: INDEX }, { query: { match_all: {} } }] } as never, { opaqueId: 'w3a-msearch' });
  await new Client({ node: failing }).search({ index: INDEX, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' } } } as never, { opaqueId: 'w3a-degraded' });
  await settle();
  const byId = (id: string) => accessLines().find((a) => a.opaque_id === id);
  const reranked = byId(opaque.slice(0, 256));
  expect(reranked).toMatchObject({ route: 'search', status: 200, rerank: { pipeline: 'w3a-outcomes', degraded: false, documents: 2 } });
  expect(byId('w3a-count')).toMatchObject({ route: 'proxy', status: 200 });
  expect(byId('w3a-count')!.rerank).toBeUndefined();
  // an _msearch: its reranked items summed (the plain third item has no report)
  expect(byId('w3a-msearch')).toMatchObject({ route: 'search', rerank: { pipeline: 'w3a-outcomes', degraded: false, documents: 4, searches: 2 } });
  const degraded = byId('w3a-degraded')!;
  expect(degraded.rerank).toMatchObject({ pipeline: 'w3a-outcomes', documents: 2 });
  expect(degraded.rerank!.degraded).toBeTruthy();
  expect(degraded.rerank!.reason).toContain('VLR_');
  // the metric an SRE's "rate of degraded reranks" reads (held-out probe round 15d): each reranked search (an _msearch's items each) by outcome
  expect(await counterSum(url, 'vlrerank_reranked_searches_total', { degraded: 'false' })).toBe(3);
  expect(await counterSum(failing, 'vlrerank_reranked_searches_total', { degraded: 'failed' })).toBe(1);
  expect(await counterSum(failing, 'vlrerank_reranked_searches_total', { degraded: 'false' })).toBe(0);
});

it('a rerank API call: the access line says the documents reranked', async () => {
  const r = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opaque-id': 'w3a-api' }, body: JSON.stringify({ query: 'oat milk', documents: ['oat drink', 'red apple', 'oat flakes'] }) });
  expect(r.status).toBe(200);
  await settle();
  expect(accessLines().find((a) => a.opaque_id === 'w3a-api')).toMatchObject({ route: 'rerank', status: 200, rerank: { degraded: false, documents: 3 } });
});

it('a client that leaves before its answer: the access line says 499 and aborted, the metrics count 499 — not a 200 of 0 bytes (held-out probe round 15d)', async () => {
  const gone = new AbortController();
  const asked = fetch(`${slow}/${INDEX}/_search`, { method: 'POST', signal: gone.signal, headers: { 'content-type': 'application/json', 'x-opaque-id': 'p15d-gone' }, body: JSON.stringify({ query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk' } } }) });
  setTimeout(() => gone.abort(), 300);
  await expect(asked).rejects.toThrow();
  let line: Access | undefined;
  for (let i = 0; i < 100 && !(line = accessLines().find((a) => a.opaque_id === 'p15d-gone')); i++) await settle();
  expect(line).toMatchObject({ route: 'search', status: 499, aborted: true });
  const passthrough = await fetch(`${slow}/${INDEX}/_count`);
  expect(passthrough.status).toBe(200);
  const metrics = await (await fetch(`${slow}/_vlrerank/metrics`)).text();
  expect(metrics).toContain('vlrerank_requests_total{route="search",status="499"} 1');
  expect(metrics).not.toContain('vlrerank_requests_total{route="search",status="200"}');
});

it('an error vlrerank answers itself: the line names its code, and a 429 its shed reason (held-out probe round 15d)', async () => {
  const bad = await fetch(`${slow}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opaque-id': 'p15d-bad' }, body: JSON.stringify({ query: 'oat', documents: 'not a list' }) });
  expect(bad.status).toBe(400);
  // the queue filled by real permits of the server's own admission controller (no fake, no timing)
  const a = lateServer.services.reranker.admission;
  // each hold a client of its own (one client may hold only rerank.admission.clientShare of the queue)
  const hold = (i: number) => ({ cost: 1, kind: 'held-by-test-p15d', client: `hold-${i}` });
  const held = await Promise.all(Array.from({ length: a.limits.maxInFlight }, (_, i) => a.acquire(hold(i))));
  const queued = Array.from({ length: a.limits.maxQueued }, (_, i) => a.acquire(hold(100 + i)));
  try {
    const refused = await fetch(`${slow}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opaque-id': 'p15d-429' }, body: JSON.stringify({ query: 'oat', documents: ['oat drink'] }) });
    expect(refused.status).toBe(429);
  } finally {
    for (const p of held) p.release();
    await Promise.all(queued.map((q) => q.then((p) => p.release()))); // each let go as it is granted, in whatever order the queue grants
  }
  let line: Access | undefined;
  for (let i = 0; i < 100 && !(line = accessLines().find((l) => l.opaque_id === 'p15d-429')); i++) await settle();
  expect(line).toMatchObject({ route: 'rerank', status: 429, code: 'VLR_OVERLOADED', shed_reason: 'queue_full' });
  expect(accessLines().find((l) => l.opaque_id === 'p15d-bad')).toMatchObject({ status: 400, code: expect.stringMatching(/^VLR_/) });
  expect(accessLines().find((l) => l.opaque_id === 'p15d-bad')!.shed_reason).toBeUndefined();
});
