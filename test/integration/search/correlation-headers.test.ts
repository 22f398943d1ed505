/**
 * An SRE follows one client's reranked search by its `X-Opaque-Id` and its W3C trace context
 * (held-out probe round 19a), on Elasticsearch 8.19 behind a relay that writes down each request's
 * headers, with the official client's `opaqueId` and a `traceparent`/`tracestate`:
 * - every call vlrerank makes for the search carries them unchanged — the first stage did, the
 *   record write-back's `_mapping`, `_mget` and `_bulk` and a search template's `_render/template`
 *   went with the client's credentials alone, so `_tasks`, the slow log and the audit log showed
 *   them without the client's id or trace;
 * - a warning the search causes (hits whose photo could not be read) names it likewise;
 * - the access line carries the trace id (`trace_id`, as the engine's slow log writes `trace.id`) and,
 *   for a reranked search, where its time went (`rerank.timings`: first stage, queue, features,
 *   inference), as the response's `vlrerank.timings` now does — the line said only its total `ms` —
 *   also when the client's `filter_path` leaves the `vlrerank` block out of its answer (the line then
 *   said the search was not reranked, or `pipeline: "undefined"`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { createLogger } from '../../../src/observability/logger.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { DATA, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'p19a-corr-grocery';
const N = 3;
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: corr')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p19a-corr-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const TRACESTATE = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
interface Access {
  path: string;
  opaque_id?: string;
  trace_id?: string;
  rerank?: { pipeline?: string; documents?: number; timings?: Record<string, number> };
}
const accessLines = (): Access[] => lines.map((l) => JSON.parse(l) as { access?: Access }).flatMap((l) => (l.access ? [l.access] : []));
/** The access line of the request sent with this X-Opaque-Id: written when the answer has ended, which may be after the client read it. */
async function accessLine(id: string): Promise<Access | undefined> {
  await until(() => accessLines().some((a) => a.opaque_id === id), { tries: 600, everyMs: 50, what: `the access line of ${id}` });
  return accessLines().find((a) => a.opaque_id === id);
}

let relay: CountingRelay;
let p: SearchProxy;
let client: Client;
beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'corr.yaml': PIPELINE }), via: async (url) => (relay = await countingRelay(url)).url, logger });
  await p.engine.json('DELETE', `/${INDEX}`);
  await setupIndex(p.engine, p.pipelines.get('corr')!, INDEX);
  // straight to the engine: no records, so the search writes them back
  const nd = catalog.slice(20, 20 + N).flatMap((d, i) => [JSON.stringify({ index: { _id: `c${i}` } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
  expect((await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
  await p.reranker.warm.wait();
  client = new Client({ node: p.url });
}, 300_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
  await relay?.close();
});

const traced = (opaqueId: string) => ({ opaqueId, headers: { traceparent: TRACEPARENT, tracestate: TRACESTATE } });

function expectCorrelated(calls: CountingRelay['heard'], opaqueId: string): void {
  for (const c of calls) {
    expect(c.headers['x-opaque-id'], c.line).toBe(opaqueId);
    expect(c.headers.traceparent, c.line).toBe(TRACEPARENT);
    expect(c.headers.tracestate, c.line).toBe(TRACESTATE);
  }
}

it('the record write-back a search causes carries its X-Opaque-Id and trace context', { timeout: 600_000 }, async () => {
  const from = relay.heard.length;
  const r = await client.search({ index: INDEX, size: N, query: { match_all: {} }, ext: { vlrerank: { query: 'fruit juice', window: N } } } as never, traced('sre-wb'));
  expect((r as any).hits.hits).toHaveLength(N);
  await p.srv.services.writeBack!.idle();
  const calls = relay.heard.slice(from).filter((c) => /\/(_search|_mapping|_mget|_bulk)\b/.test(c.line));
  expect(calls.map((c) => c.line.split('?')[0])).toEqual([`POST /${INDEX}/_search`, `GET /${INDEX}/_mapping`, `POST /${INDEX}/_mget`, `POST /${INDEX}/_bulk`]);
  expectCorrelated(calls, 'sre-wb');
});

it('a search template\'s rendering carries them too', { timeout: 120_000 }, async () => {
  const from = relay.heard.length;
  // the thin 8.19 build has no mustache: the engine's own answer is passed on; what is checked is what reached it
  await client.searchTemplate({ index: INDEX, body: { source: { query: { match: { name: '{{q}}' } } }, params: { q: 'juice' }, ext: { vlrerank: { query: 'juice' } } } } as never, traced('sre-tpl')).catch(() => undefined);
  const render = relay.heard.slice(from).filter((c) => c.line.startsWith('POST /_render/template'));
  expect(render).toHaveLength(1);
  expectCorrelated(render, 'sre-tpl');
});

it('the access line carries the trace id and where a reranked search\'s time went', { timeout: 120_000 }, async () => {
  const r = await client.search({ index: INDEX, size: 2, query: { match_all: {} }, ext: { vlrerank: { query: 'oat drink', window: N } } } as never, traced('sre-log'));
  const timings = (r as any).vlrerank.timings as Record<string, number>;
  for (const k of ['first_stage_ms', 'queue_ms', 'features_ms', 'inference_ms', 'rerank_ms', 'total_ms']) expect(timings[k], k).toBeTypeOf('number');
  expect(timings.queue_ms! + timings.features_ms! + timings.inference_ms!).toBeLessThanOrEqual(timings.rerank_ms! + 0.05);
  const line = await accessLine('sre-log');
  expect(line?.trace_id).toBe(TRACE);
  expect(line?.rerank?.timings).toEqual(timings);
  // the Elastic APM agents' own header, when no W3C one is sent
  await fetch(`${p.url}/_cluster/health`, { headers: { 'x-opaque-id': 'sre-apm', 'elastic-apm-traceparent': TRACEPARENT } });
  expect((await accessLine('sre-apm'))?.trace_id).toBe(TRACE);
  // not a trace context: no trace id made up of it
  await fetch(`${p.url}/_cluster/health`, { headers: { 'x-opaque-id': 'sre-junk', traceparent: 'hello' } });
  expect(await accessLine('sre-junk')).toBeDefined();
  expect((await accessLine('sre-junk'))?.trace_id).toBeUndefined();
});

it('a warning the search caused names it: hits whose photo could not be read', { timeout: 120_000 }, async () => {
  const gone = { ...groceryDoc(catalog[30]!), image: join(DATA, 'grocery-store-products', 'no-such-photo.jpg') };
  await p.engine.json('PUT', `/${INDEX}/_doc/gone?refresh=true`, gone);
  const r = await client.search({ index: INDEX, size: 1, query: { ids: { values: ['gone'] } }, ext: { vlrerank: { query: 'juice', window: 1 } } } as never, traced('sre-media'));
  expect((r as any).vlrerank.document_errors.count).toBe(1);
  const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).startsWith('hits whose media could not be read'));
  expect(warn).toMatchObject({ opaque_id: 'sre-media', trace_id: TRACE });
});

it('a reranked search\'s line says what the rerank did whatever the client\'s filter_path keeps', { timeout: 120_000 }, async () => {
  for (const [id, filter] of [['sre-fp-hits', 'hits.hits._id'], ['sre-fp-timings', 'vlrerank.timings']] as const) {
    const r = await client.search({ index: INDEX, size: 2, filter_path: filter, query: { match_all: {} }, ext: { vlrerank: { query: 'oat drink', window: N } } } as never, traced(id));
    expect(Object.keys(r as object)).toEqual([filter.split('.')[0]]);
    const line = await accessLine(id);
    expect(line?.rerank, id).toMatchObject({ pipeline: 'corr', documents: N });
    expect(line?.rerank?.timings?.first_stage_ms, id).toBeTypeOf('number');
  }
});

it('a rerank cut by its budget says the stage it was cut in, and the line says it too', { timeout: 120_000 }, async () => {
  // a photo no search has read yet (its features computed, not found), and 1 ms: cut in the queue, in
  // features or (all parts told) after them — which one depends on the machine; either way the parts
  // are there, and one cut before the end of inference gives the stage it was in the rest of the time
  await p.engine.json('PUT', `/${INDEX}/_doc/cold?refresh=true`, groceryDoc(catalog[40]!));
  const r = await client.search({ index: INDEX, size: 1, query: { ids: { values: ['cold'] } }, ext: { vlrerank: { query: 'green tea with lemon', window: 1, budget_ms: 1 } } } as never, traced('sre-cut'));
  const v = (r as any).vlrerank as { degraded: string | false; timings: Record<string, number> };
  expect(v.degraded).not.toBe(false);
  const parts = ['queue_ms', 'features_ms', 'inference_ms'].filter((k) => v.timings[k] !== undefined);
  expect(parts[0]).toBe('queue_ms');
  const sum = parts.reduce((a, k) => a + v.timings[k]!, 0);
  expect(sum).toBeLessThanOrEqual(v.timings.rerank_ms! + 0.05);
  if (parts.length < 3) expect(v.timings.rerank_ms! - sum).toBeLessThan(0.05);
  expect((await accessLine('sre-cut'))?.rerank?.timings).toEqual(v.timings);
});
