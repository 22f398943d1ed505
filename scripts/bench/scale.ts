/**
 * `npm run bench:scale [-- --duration 20 --connections 16 --tier-docs 16 --tier-iterations 5 --tiers-only | --no-tiers]`:
 * first the cost of one reranked request by where its features come from (L1, disk, Redis, an
 * index record, a recompute: scale-tiers.ts), then throughput and p99 of reranked searches
 * through a real HAProxy (docs/haproxy.cfg) in front of 1, 2 and 3 vlrerank replicas (each its own
 * process) on the real Elasticsearch, measured in one run, printed as ratios to one replica. Also
 * the same load sent to Elasticsearch directly with the first stage alone (the cluster's ceiling on
 * this machine). On a 2-core machine every process shares the same cores: more replicas cannot add
 * CPU, so expect the ratio to stay near 1 and read where the ceiling comes from in the CPU split.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Client } from '@elastic/elasticsearch';
import { startEngine, engineUrl } from '../engines.js';
import { startHaproxy } from '../../test/helpers/haproxy.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { spawnProxyProcess } from '../../test/helpers/proxy.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../test/helpers/scifact-docs.js';
import { startRedis } from '../../test/helpers/store.js';
import { measureTierCosts, printTierCosts } from './scale-tiers.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number) => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const DURATION = opt('--duration', 20);
const CONNECTIONS = opt('--connections', 16);
const INDEX = 'kb-bench-scale';

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function run(url: string, path: string, body: (i: number) => string): Promise<{ rps: number; p50: number; p99: number; non2xx: number; errors: number }> {
  let i = 0;
  const r = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body(i++) }) }],
  } as never);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  if (!argv.includes('--no-tiers')) {
    const tierDocs = opt('--tier-docs', 16);
    const tiers = await measureTierCosts({ documents: tierDocs, iterations: opt('--tier-iterations', 5) });
    process.stdout.write(`vlrerank feature tiers (${new Date().toISOString()}, ${availableParallelism()} cores)\n`);
    printTierCosts(tiers, tierDocs, (x) => process.stdout.write(x));
  }
  if (argv.includes('--tiers-only')) return;
  await startEngine('elasticsearch');
  const es = engineUrl('elasticsearch');
  const client = new Client({ node: es });
  await client.indices.delete({ index: INDEX }, { ignore: [404] });
  await client.indices.create({ index: INDEX, mappings: SCIFACT_MAPPINGS as never });
  const docs = scifactDocs(500);
  await client.bulk({ refresh: true, operations: docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]) });
  await client.close();
  // queries from SciFact's claims; the window of 100 abstracts is embedded once per replica (warm-up below)
  const claims = readFileSync(`${DATA}/scifact-beir/queries.jsonl`, 'utf8').trim().split('\n').slice(0, 50).map((l) => (JSON.parse(l) as { text: string }).text);
  const body = (i: number) => JSON.stringify({ size: 10, query: { match: { text: claims[i % claims.length] } } });
  // the replicas share one Redis, as deployed (docs/DEPLOYMENT.md): the first one's warm-up embeds
  // the windows' abstracts, the others read them from Redis instead of paying bge again
  const redis = await startRedis();
  const replicas = await Promise.all(
    [0, 1, 2].map(() => spawnProxyProcess([es], { VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_LOG_LEVEL: 'error', VLRERANK_REDIS_URL: redis.url })),
  );
  try {
    for (const r of replicas) for (let i = 0; i < claims.length; i++) await fetch(`${r.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }).then((x) => x.arrayBuffer());
    const direct = await run(es, `/${INDEX}/_search`, body);
    const rows: Array<{ n: number; r: Awaited<ReturnType<typeof run>>; cpu: number[] }> = [];
    for (const n of [1, 2, 3]) {
      const lb = await startHaproxy(replicas.slice(0, n).map((r) => r.url));
      const before = replicas.map((r) => cpuSeconds(r.pid));
      const r = await run(lb.url, `/${INDEX}/_search`, body);
      const cpu = replicas.map((x, k) => cpuSeconds(x.pid) - before[k]!);
      await lb.stop();
      rows.push({ n, r, cpu });
    }
    const f = (x: number) => x.toFixed(1);
    process.stdout.write(`vlrerank scale benchmark (replicas sharing one Redis; ${new Date().toISOString()}, ${availableParallelism()} cores, ${CONNECTIONS} connections × ${DURATION} s, reranked searches on ${docs.length} SciFact abstracts, window 100)\n`);
    process.stdout.write(`  Elasticsearch direct (first stage only, the cluster's ceiling): ${f(direct.rps)} req/s, p50 ${direct.p50} ms, p99 ${direct.p99} ms\n`);
    for (const { n, r, cpu } of rows) {
      const base = rows[0]!.r;
      process.stdout.write(
        `  ${n} replica(s) behind HAProxy: ${f(r.rps)} req/s (×${(r.rps / base.rps).toFixed(2)} of 1 replica), p50 ${r.p50} ms, p99 ${r.p99} ms (×${(r.p99 / base.p99).toFixed(2)}), non-2xx ${r.non2xx}, errors ${r.errors}; replica CPU s ${cpu.map(f).join(' / ')}\n`,
      );
    }
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis.stop();
  }
}

await main();
