/**
 * Three vlrerank replicas (`vlrerank serve`, each its own process) behind a real HAProxy (Debian's,
 * run from docs/haproxy.cfg) in front of the real Elasticsearch, sharing one real redis-server as
 * their feature tier (`store.redis`). A photo computed through replica A is a Redis hit through
 * replica C (its metrics: a Redis hit, no image model run); two replicas asked for the same new
 * photo at once compute it once (the Redis lock). Under load of reranked searches (the
 * knowledge-base pipeline reranks every search on `kb-*`), rerank-API calls with new texts and
 * passthrough requests, Redis is killed, one replica is killed (SIGKILL) and another is stopped
 * (SIGTERM: it drains): every request is answered, none with a 5xx, the balancer ends up sending
 * everything to the last replica, and that replica's health says Redis is down.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { useEngine } from '../../helpers/engines.js';
import { startHaproxy, type RunningHaproxy } from '../../helpers/haproxy.js';
import { counterSum } from '../../helpers/metrics.js';
import { DATA, MODELS } from '../../helpers/paths.js';
import { spawnProxyProcess } from '../../helpers/proxy.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';
import { startRedis, type RedisServer } from '../../helpers/store.js';

const INDEX = 'kb-scale-replicas';
type Replica = Awaited<ReturnType<typeof spawnProxyProcess>>;
let es: string;
let replicas: Replica[] = [];
let lb: RunningHaproxy;
let redis: RedisServer;
let configDir: string;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  const client = new Client({ node: es });
  await client.indices.delete({ index: INDEX }, { ignore: [404] });
  await client.indices.create({ index: INDEX, mappings: SCIFACT_MAPPINGS as never });
  const docs = scifactDocs(40);
  await client.bulk({ refresh: true, operations: docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]) });
  await client.close();
  // one Redis shared by every replica; commands get 500 ms (the 50 ms default is meant for a Redis
  // on its own machine, not one sharing 2 cores with 3 replicas and Elasticsearch)
  redis = await startRedis();
  configDir = mkdtempSync(join(tmpdir(), 'vlr-scale-replicas-'));
  const config = join(configDir, 'vlrerank.yaml');
  writeFileSync(config, `store:\n  redis:\n    url: ${redis.url}\n    commandTimeoutMs: 2000\n    lockMs: 10000\n`);
  replicas = await Promise.all([0, 1, 2].map(() => spawnProxyProcess([es], { VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_CONFIG: config })));
  // each replica warms its models; readiness says when
  for (const r of replicas) {
    for (let i = 0; ; i++) {
      const res = await fetch(`${r.url}/_vlrerank/health?ready`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (i > 600) throw new Error(`replica ${r.url} never became ready`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
  lb = await startHaproxy(replicas.map((r) => r.url));
}, 600_000);

afterAll(async () => {
  await lb?.stop();
  await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)));
  await redis?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** Sum of a counter's samples on one replica whose labels include `labels`. */
const counter = counterSum;
const imageRuns = (url: string) => counter(url, 'vlrerank_model_runs_total', { model: 'efficientnet-lite2-imagenet' });

/** A rerank of one photo through one replica, with explanations (where its features came from). */
async function rerankPhoto(url: string, photo: string): Promise<string> {
  const res = await fetch(`${url}/_vlrerank/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { text: 'people on a street' }, documents: [{ image: photo }], explain: true }),
  });
  const body = (await res.json()) as { results: Array<{ explanation: { features: { image?: string } } }> };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.results[0]!.explanation.features.image!;
}

/** Wait until Redis holds at least `n` feature values (replicas write them asynchronously). */
async function redisHolds(n: number): Promise<void> {
  const c = redis.client();
  for (let i = 0; i < 400 && (await c.keys('vlrerank:f:*')).length < n; i++) await new Promise((r) => setTimeout(r, 25));
}

it('a photo computed through replica A is a Redis hit through replica C: no image model run there', { timeout: 120_000 }, async () => {
  const [a, , c] = replicas.map((r) => r.url) as [string, string, string];
  const before = (await redis.client().keys('vlrerank:f:*')).length;
  expect(await rerankPhoto(a, 'coco-captions-mini/images/val2017/000000011813.jpg')).toBe('computed');
  await redisHolds(before + 2); // its classification and detections
  const runs = await imageRuns(c);
  const hits = await counter(c, 'vlrerank_feature_lookups_total', { tier: 'redis', outcome: 'hit' });
  expect(await rerankPhoto(c, 'coco-captions-mini/images/val2017/000000011813.jpg')).toBe('redis');
  expect(await imageRuns(c)).toBe(runs);
  expect(await counter(c, 'vlrerank_feature_lookups_total', { tier: 'redis', outcome: 'hit' })).toBeGreaterThanOrEqual(hits + 2);
});

it('two replicas asked for the same new photo at once compute it once (the Redis lock)', { timeout: 120_000 }, async () => {
  const [a, b] = replicas.map((r) => r.url) as [string, string];
  const photo = 'coco-captions-mini/images/val2017/000000012280.jpg';
  const runs = (await imageRuns(a)) + (await imageRuns(b));
  const sources = await Promise.all([rerankPhoto(a, photo), rerankPhoto(b, photo)]);
  // one replica ran the classifier once; the other waited on the lock and read its value from Redis
  expect((await imageRuns(a)) + (await imageRuns(b)) - runs).toBe(1);
  expect(sources.sort()).toEqual(['computed', 'redis']);
});

const claims = ['0-dimensional biomaterials show inductive properties', 'ALDH1 expression is associated with poorer prognosis', 'Aspirin inhibits cancer growth', 'Vitamin D deficiency is linked to disease'];

it('Redis killed, a replica killed and another stopped mid-load: no request lost, health says Redis is down', { timeout: 600_000 }, async () => {
  const statuses: number[] = [];
  const failures: string[] = [];
  const reranked: boolean[] = [];
  let done = 0;
  const TOTAL = 120;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= TOTAL) return;
      const rerank = i % 2 === 0;
      // every third other request: the rerank API with a text no replica has seen (a Redis lookup, then the model)
      const api = !rerank && i % 3 === 0;
      const res = rerank
        ? await fetch(`${lb.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, query: { match: { text: claims[i % claims.length] } } }) })
        : api
          ? await fetch(`${lb.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: claims[i % claims.length], documents: [`Request ${i}: a new abstract about ${claims[(i + 1) % claims.length]}`, 'Aspirin and cancer.'] }) })
          : await fetch(`${lb.url}/${INDEX}/_count`);
      const text = await res.text();
      statuses.push(res.status);
      if (res.status !== 200) failures.push(`#${i} after ${done} done: ${res.status} ${text.slice(0, 200)}`);
      const body = (res.status === 200 ? JSON.parse(text) : {}) as { vlrerank?: unknown; count?: number };
      if (rerank) reranked.push(body.vlrerank !== undefined);
      done++;
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, worker));
  while (done < 15) await new Promise((r) => setTimeout(r, 20));
  await redis.kill();
  while (done < 30) await new Promise((r) => setTimeout(r, 20));
  process.kill(replicas[1]!.pid, 'SIGKILL');
  while (done < 60) await new Promise((r) => setTimeout(r, 20));
  const stopping = replicas[2]!.stop(); // SIGTERM: drains
  await load;
  await stopping;
  expect(statuses).toHaveLength(TOTAL);
  const direct = await fetch(`${replicas[0]!.url}/_vlrerank/health?ready`).then(async (r) => `${r.status} ${await r.text()}`).catch((e: Error) => e.message);
  expect(failures, `replica 1 readiness now: ${direct}\nhaproxy:\n${lb.log().slice(-3000)}`).toEqual([]);
  // the reranked searches went through a replica's rerank path (answered with the vlrerank block)
  expect(reranked.every(Boolean)).toBe(true);
  // the survivor says Redis is down (and keeps serving from L1 and the models)
  const health = (await (await fetch(`${replicas[0]!.url}/_vlrerank/health`)).json()) as { feature_store: { redis: { state: string } } };
  expect(health.feature_store.redis.state).toBe('down');
  // afterwards only replica 1 is left, and it serves
  const after = await fetch(`${lb.url}/${INDEX}/_count`);
  expect(after.status).toBe(200);
  await after.arrayBuffer();
});
