/**
 * Requests that arrive while the models warm up are bounded by admission (issue 13 §1, §6): they
 * wait holding places in the rerank queue, so beyond `rerank.admission.maxQueued` they are refused
 * at once — a rerank-shaped 429 with Retry-After on `/v1/rerank`, and on a reranked `_search` the
 * pipeline's policy (fail_open: first-stage hits flagged `overloaded`; fail_closed: an ES-shaped
 * 429) — instead of piling up for the whole load time. Those that got a place are served once the
 * models are warm. The warm-up is real: the real models, and a fresh cache folder so the concept
 * bank is computed (seconds on these machines), not read back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { clientSearchRaw, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

/** Folders this file made, removed at its end. */
const made: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
const freshCache = () => temp('vlr-faults-warm-');
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
/** One text-only pipeline: the warm-up loads the text embedder and computes the concept bank, no image models. */
function textOnlyPipelines(): string {
  const dir = temp('vlr-faults-pipelines-');
  writeFileSync(join(dir, 'text.yaml'), 'name: faults-text\nindex_patterns: [faults-text-it]\nfields: {text: [title]}\n');
  return dir;
}

/** Poll health while `pending` runs; the largest number of warm-up waiters seen. */
async function peakWarming(url: string, pending: Promise<unknown>): Promise<number> {
  let done = false;
  void pending.finally(() => (done = true));
  let peak = 0;
  while (!done) {
    const h = (await (await fetch(`${url}/_vlrerank/health`)).json()) as any;
    peak = Math.max(peak, h.rerank_admission.warming);
    await new Promise((r) => setTimeout(r, 25));
  }
  return peak;
}

describe('/v1/rerank while the models warm up', () => {
  let srv: RunningServer;
  afterAll(async () => srv?.close());

  it('holds at most maxQueued waiters; the rest get 429 + Retry-After at once; the held ones are served', { timeout: 240_000 }, async () => {
    srv = await startRerankServer({ 'pipelines.dir': textOnlyPipelines(), 'rerank.cacheDir': freshCache(), 'rerank.maxConcurrentRequests': 1, 'rerank.admission.maxQueued': 3, 'rerank.admission.clientShare': 1, 'rerank.admission.maxQueueWaitMs': 120_000 });
    expect(srv.services.reranker.warm.state).toBe('warming');
    const N = 10;
    const calls = Promise.all(
      Array.from({ length: N }, (_, i) =>
        fetch(`${srv.url}/v1/rerank`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'oat milk', documents: [`oat drink ${i}`, `granite ${i}`] }),
        }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as any })),
      ),
    );
    const peak = await peakWarming(srv.url, calls);
    const out = await calls;
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(3);
    const ok = out.filter((r) => r.status === 200);
    const refused = out.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(N);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(N - 3 - 1); // at most one more got in between warm-up end and the burst's end
    for (const r of ok) expect(r.body.results).toHaveLength(2);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ object: 'error', code: 429, message: expect.stringContaining('rerank queue is full') });
    }
    const h = (await (await fetch(`${srv.url}/_vlrerank/health`)).json()) as any;
    expect(h.reranker.state).toBe('ready');
    expect(h.rerank_admission).toMatchObject({ warming: 0, queued: 0, in_flight: 0 });
    expect(h.rerank_admission.shed.queue_full).toBe(refused.length);
  });
});

describe('reranked _search on Elasticsearch while the models warm up', () => {
  const INDEX = 'faults-warmup-it';
  const pipe = (name: string, failure: string) => `name: ${name}\nindex_patterns: [${INDEX}]\nfailure: ${failure}\nbudget_ms: 300000\nfields: {text: [title]}\n`;
  let p: SearchProxy;
  afterAll(async () => p?.close());

  it('beyond maxQueued: fail_open → first-stage hits flagged overloaded, fail_closed → ES-shaped 429; the held search is reranked', { timeout: 240_000 }, async () => {
    const seed = await startSearchProxy('elasticsearch');
    try {
      await seed.engine.json('DELETE', `/${INDEX}`);
      const docs = ['oat drink', 'granite countertop', 'oat milk barista', 'violin case'].flatMap((t, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title: t })]);
      const r = await fetch(`${seed.engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${docs.join('\n')}\n` });
      expect(r.status).toBe(200);
    } finally {
      await seed.close();
    }
    p = await startSearchProxy('elasticsearch', {
      pipelinesDir: pipelinesDir({ 'open.yaml': pipe('faults-warm-open', 'fail_open'), 'closed.yaml': pipe('faults-warm-closed', 'fail_closed') }),
      rerank: { cacheDir: freshCache(), admission: { maxQueued: 1, clientShare: 1 } },
    });
    expect(p.reranker.warm.state).toBe('warming');
    const search = (pipeline: string) =>
      clientSearchRaw('elasticsearch', p.url, { index: INDEX, body: { size: 4, query: { match: { title: 'oat' } }, ext: { vlrerank: { query: 'oat milk', pipeline, window: 4 } } } });
    const first = search('faults-warm-open');
    // the first search holds the only queue place for the warm-up
    while ((await (await fetch(`${p.url}/_vlrerank/health`)).json()).rerank_admission.warming < 1) await new Promise((r) => setTimeout(r, 20));
    const [shedOpen, shedClosed] = await Promise.all([search('faults-warm-open'), search('faults-warm-closed')]);
    expect(p.reranker.warm.state).toBe('warming'); // both were answered before the models were warm
    expect(shedOpen.statusCode).toBe(200);
    expect(shedOpen.body.vlrerank).toMatchObject({ degraded: 'overloaded', reason: expect.stringContaining('VLR_OVERLOADED') });
    expect(shedOpen.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['0', '2']);
    expect(shedOpen.headers['x-vlrerank-degraded']).toBe('VLR_OVERLOADED');
    expect(shedClosed.statusCode).toBe(429);
    expect(Number(shedClosed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(shedClosed.body).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', vlrerank_code: 'VLR_OVERLOADED' } });
    const held = await first;
    expect(held.statusCode).toBe(200);
    expect(held.body.vlrerank.degraded).toBe(false);
    expect(held.body.vlrerank.timings.warmup_wait_ms).toBeGreaterThan(0);
  });
});
