/**
 * An app's test suite starts and stops vlrerank servers in one process all day: a server that has
 * closed must leave nothing of itself reachable — its models, reranker and metrics registry are
 * garbage once the app drops it. prom-client's default metrics (a GC PerformanceObserver, an
 * event-loop monitor) cannot be stopped; made per server they kept every closed server's registry,
 * and through its scrape-time collectors its reranker and models: ~45 MB of RSS a start/stop cycle
 * (held-out probe round 30c, 490 → 1870 MB over 30 cycles). The process's metrics are now made once
 * and shown by each server. Real Elasticsearch, real models, a real photo.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { useEngine } from '../../helpers/engines.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { DATA } from '../../helpers/paths.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const photo = join(DATA, 'grocery-store-products', 'iconic-images-and-descriptions', 'Fruit', 'Apple', 'Granny-Smith', 'Granny-Smith_Iconic.jpg');

let es: string;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
}, 300_000);

async function metricsText(url: string): Promise<string> {
  const res = await request(`${url}/_vlrerank/metrics`, { headers: { authorization: 'Bearer test-admin-token-0123' } });
  expect(res.statusCode).toBe(200);
  return res.body.text();
}

/** A server that reranks a photo and closes; only weak references to its parts come back. */
async function serveOnce(): Promise<{ models: WeakRef<object>; reranker: WeakRef<object>; registry: WeakRef<object> }> {
  const srv = await startRerankServer({ 'upstream.urls': [es], 'rerank.warmup': false });
  const res = await request(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'green apple', documents: [{ text: 'Granny Smith', image: photo }, 'granite'] }) });
  expect(res.statusCode).toBe(200);
  await res.body.json();
  expect(await metricsText(srv.url)).toMatch(/^vlrerank_nodejs_gc_duration_seconds_count\{kind="\w+"\} \d+/m);
  await srv.close();
  return { models: new WeakRef(srv.services.models), reranker: new WeakRef(srv.services.reranker), registry: new WeakRef(srv.services.metrics.registry) };
}

describe('a server closed in a process that goes on', () => {
  it('leaves its models, reranker and metrics registry to the garbage collector; the next server still shows the process metrics', { timeout: 240_000 }, async () => {
    const first = await serveOnce();
    const second = await serveOnce();
    // no deref() before a gc() in the same job: a WeakRef read keeps its target alive until the job ends
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      gc();
    }
    await new Promise((r) => setTimeout(r, 50));
    for (const [name, ref] of Object.entries({ ...first, ...Object.fromEntries(Object.entries(second).map(([k, v]) => [`second ${k}`, v])) })) {
      expect(ref.deref(), `${name} of a closed server still reachable`).toBeUndefined();
    }
  });
});
