/**
 * What a load balancer and Kubernetes see of a replica: liveness (`?live`) answers without touching
 * the cluster, readiness (`?ready`) is 200 only when the replica may take traffic (cluster reachable,
 * not draining) and says why not; on shutdown the replica drains — readiness turns 503, a request
 * already in flight still gets its whole answer, new connections are refused. A scorer worker
 * (`server.role: worker`) serves the rerank APIs and its own health only. Real Elasticsearch, real
 * models, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let es: string;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
}, 300_000);

const IMAGE_CLASSIFIER = 'efficientnet-lite2-imagenet';

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.json() };
}

/** `?ready` of the server at `url`, asked again every `ms` (at most `tries` more times) until `done` holds of the answer; the last answer. */
async function readiness(url: string, done: (r: { status: number; body: any }) => boolean, tries: number, ms: number): Promise<{ status: number; body: any }> {
  let r = await get(`${url}/_vlrerank/health?ready`);
  for (let i = 0; i < tries && !done(r); i++) {
    await new Promise((res) => setTimeout(res, ms));
    r = await get(`${url}/_vlrerank/health?ready`);
  }
  return r;
}

describe('a proxy replica', () => {
  let srv: RunningServer;
  afterAll(async () => srv?.close());

  it('is live and ready with the cluster reachable; not ready with no node reachable', { timeout: 120_000 }, async () => {
    // a grace far above the drain test's rerank of 60 captions: the default 10 s cut it on a loaded machine ("other side closed")
    srv = await startRerankServer({ 'upstream.urls': [es], 'rerank.warmup': false, 'server.shutdownGraceMs': 120_000 });
    const live = await get(`${srv.url}/_vlrerank/health?live`);
    expect(live).toMatchObject({ status: 200, body: { status: 'alive', draining: false } });
    const ready = await get(`${srv.url}/_vlrerank/health?ready`);
    expect(ready).toMatchObject({ status: 200, body: { ready: true } });
    const full = await get(`${srv.url}/_vlrerank/health`);
    expect(full.body).toMatchObject({ role: 'proxy', draining: false, status: 'green' });

    const lonely = await startRerankServer({ 'upstream.urls': ['http://127.0.0.1:9'], 'rerank.warmup': false });
    try {
      const r = await get(`${lonely.url}/_vlrerank/health?ready`);
      expect(r.status).toBe(503);
      // and why: the node and its error (a bare 'no cluster node reachable' named neither)
      expect(r.body.reasons).toContain('no cluster node reachable (http://127.0.0.1:9: ECONNREFUSED)');
      // liveness does not depend on the cluster: restarting this replica would not help
      expect((await get(`${lonely.url}/_vlrerank/health?live`)).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });

  it('started before its models were pulled: not ready, then ready once they are there, without a restart', { timeout: 180_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vlr-models-later-'));
    const dir = join(tmp, 'models');
    // a text pipeline (an image pipeline's case: the next test)
    mkdirSync(join(tmp, 'pipelines'));
    copyFileSync(join(REPO_ROOT, 'pipelines/knowledge-base.yaml'), join(tmp, 'pipelines/knowledge-base.yaml'));
    const late = await startRerankServer({ 'upstream.urls': [es], 'models.dir': dir, 'pipelines.dir': join(tmp, 'pipelines'), 'rerank.warmup': true });
    try {
      let r = await readiness(late.url, (x) => !x.body.reasons?.some((y: string) => y.includes('warming')), 600, 50);
      expect(r.status).toBe(503);
      expect(r.body.reasons.join()).toMatch(/model warm-up failed: .*vlrerank models pull/);
      // the operator pulls the models (here: the folder appears)
      symlinkSync(MODELS, dir);
      r = await readiness(late.url, (x) => x.status === 200, 1200, 100);
      expect(r).toMatchObject({ status: 200, body: { ready: true } });
    } finally {
      await late.close();
    }
  });

  it('started before its image models were pulled: image reranks and readiness recover once they are there, without a restart', { timeout: 240_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vlr-image-models-later-'));
    const dir = join(tmp, 'models');
    mkdirSync(dir);
    // every model but the image classifier (the feature extractor cannot be set up without it)
    for (const m of readdirSync(MODELS)) if (m !== IMAGE_CLASSIFIER) symlinkSync(join(MODELS, m), join(dir, m));
    // an image pipeline: its warm-up runs a photo through the image models
    mkdirSync(join(tmp, 'pipelines'));
    copyFileSync(join(REPO_ROOT, 'pipelines/grocery.yaml'), join(tmp, 'pipelines/grocery.yaml'));
    const late = await startRerankServer({ 'upstream.urls': [es], 'models.dir': dir, 'pipelines.dir': join(tmp, 'pipelines'), 'rerank.warmup': true });
    const photo = join(DATA, productImage(catalog()[0]!));
    const rerank = async () => {
      const res = await request(`${late.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'oat milk', documents: [{ text: 'oat drink', image: photo }, 'granite'] }) });
      return { status: res.statusCode, body: (await res.body.json()) as any };
    };
    try {
      let r = await readiness(late.url, (x) => !x.body.reasons?.some((y: string) => y.includes('warming')), 600, 50);
      expect(r.status).toBe(503);
      expect(r.body.reasons.join()).toMatch(/model warm-up failed: .*vlrerank models pull/);
      const before = await rerank();
      expect(before.status).toBe(200);
      expect(before.body.meta.warnings).toEqual([expect.stringMatching(/^documents\[0\] scored without its media: VLR_MODEL_MISSING: .*vlrerank models pull/)]);
      // the operator pulls the image model (here: its folder appears)
      symlinkSync(join(MODELS, IMAGE_CLASSIFIER), join(dir, IMAGE_CLASSIFIER));
      r = await readiness(late.url, (x) => x.status === 200, 1200, 100);
      expect(r).toMatchObject({ status: 200, body: { ready: true } });
      const after = await rerank();
      expect(after.status).toBe(200);
      expect(after.body.meta.warnings).toBeUndefined();
    } finally {
      await late.close();
    }
  });

  it('drains on shutdown: the request in flight answered in full, then new connections refused', { timeout: 240_000 }, async () => {
    // an in-flight request that takes a while: 60 new captions through the real text model
    const docs = Array.from({ length: 60 }, (_, i) => `caption number ${i} of a photo of a ${['dog', 'cat', 'rocket', 'coffee cup'][i % 4]} in the ${i}th scene`);
    const inflight = request(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a dog', documents: docs }) });
    // let the request reach the server before shutdown starts
    await new Promise((r) => setTimeout(r, 300));
    const closed = srv.close();
    const res = await inflight;
    const body = (await res.body.json()) as { results: unknown[] };
    expect(res.statusCode).toBe(200);
    expect(body.results).toHaveLength(60);
    await closed;
    await expect(request(`${srv.url}/_vlrerank/health?live`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('with a drain delay, keeps serving while readiness says draining, then stops accepting', { timeout: 120_000 }, async () => {
    const s = await startRerankServer({ 'upstream.urls': [es], 'rerank.warmup': false, 'server.drainDelayMs': 1_500 });
    expect((await get(`${s.url}/_vlrerank/health?ready`)).status).toBe(200);
    const closed = s.close();
    const during = await get(`${s.url}/_vlrerank/health?ready`);
    expect(during.status).toBe(503);
    expect(during.body.reasons[0]).toMatch(/draining/);
    // traffic still answered meanwhile (the balancer has not noticed yet)
    const search = await request(`${s.url}/_cluster/health`);
    expect(search.statusCode).toBe(200);
    expect(search.headers.connection).toBe('close');
    await search.body.dump();
    await closed;
    await expect(request(`${s.url}/_vlrerank/health?live`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('a scorer worker (server.role: worker)', () => {
  let w: RunningServer;
  beforeAll(async () => {
    w = await startRerankServer({ 'server.role': 'worker', 'rerank.warmup': false });
  });
  afterAll(async () => w?.close());

  it('serves the rerank APIs', { timeout: 120_000 }, async () => {
    const res = await request(`${w.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a dog', documents: ['a dog in a park', 'a tax form'] }) });
    const body = (await res.body.json()) as { results: Array<{ index: number }> };
    expect(res.statusCode).toBe(200);
    expect(body.results[0]!.index).toBe(0);
  });

  it('answers an ES-shaped 404 for anything else, never forwarding it', async () => {
    for (const path of ['/products/_search', '/_cluster/health', '/_bulk', '/_vlrerank/ui/']) {
      const r = await get(`${w.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.body).toMatchObject({ status: 404, error: { type: expect.any(String), reason: expect.stringContaining('worker') } });
    }
  });

  it('is ready without a cluster and reports no upstream', async () => {
    const ready = await get(`${w.url}/_vlrerank/health?ready`);
    expect(ready).toMatchObject({ status: 200, body: { ready: true } });
    const full = await get(`${w.url}/_vlrerank/health`);
    expect(full.body.role).toBe('worker');
    expect(full.body.upstream).toBeUndefined();
  });
});
