/**
 * Three vlrerank replicas (`vlrerank serve`, each its own process) behind a real HAProxy (Debian's,
 * run from docs/haproxy.cfg) in front of the real Elasticsearch. Under load of reranked searches
 * (the knowledge-base pipeline reranks every search on `kb-*`) and passthrough requests, one replica
 * is killed (SIGKILL) and another is stopped (SIGTERM: it drains): every request is answered, none
 * with a 5xx, and the balancer ends up sending everything to the last replica.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { useEngine } from '../../helpers/engines.js';
import { startHaproxy, type RunningHaproxy } from '../../helpers/haproxy.js';
import { DATA, MODELS } from '../../helpers/paths.js';
import { spawnProxyProcess } from '../../helpers/proxy.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const INDEX = 'kb-scale-replicas';
type Replica = Awaited<ReturnType<typeof spawnProxyProcess>>;
let es: string;
let replicas: Replica[] = [];
let lb: RunningHaproxy;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  const client = new Client({ node: es });
  await client.indices.delete({ index: INDEX }, { ignore: [404] });
  await client.indices.create({ index: INDEX, mappings: SCIFACT_MAPPINGS as never });
  const docs = scifactDocs(40);
  await client.bulk({ refresh: true, operations: docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]) });
  await client.close();
  replicas = await Promise.all([0, 1, 2].map(() => spawnProxyProcess([es], { VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA })));
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
});

const claims = ['0-dimensional biomaterials show inductive properties', 'ALDH1 expression is associated with poorer prognosis', 'Aspirin inhibits cancer growth', 'Vitamin D deficiency is linked to disease'];

it('a replica killed and another stopped mid-load lose no request', { timeout: 600_000 }, async () => {
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
      const res = rerank
        ? await fetch(`${lb.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, query: { match: { text: claims[i % claims.length] } } }) })
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
  // afterwards only replica 1 is left, and it serves
  const after = await fetch(`${lb.url}/${INDEX}/_count`);
  expect(after.status).toBe(200);
  await after.arrayBuffer();
});
