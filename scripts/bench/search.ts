/**
 * `npm run bench:search`: end-to-end latency of a reranked search through the proxy (window
 * 20 / 50 / 100, cold and warm feature cache) next to the same first-stage search without
 * reranking, in one run, against a real Elasticsearch on the Grocery catalog (text query: BM25 +
 * bridge kNN first stage, then the reranker over title + description + photo).
 *
 * "Cold" = a fresh proxy process's first request for each window size on a window of documents it
 * has not seen (feature cache empty; models already loaded by a warm-up on other documents);
 * "warm" = the same request repeated. Prints medians and the ratio to the plain search.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT, startEngine, stopEngine, engineUrl } from '../engines.js';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { setupIndex } from '../../src/engine/mapping.js';
import type { PipelineRegistry } from '../../src/pipelines/index.js';
import type { UpstreamPool } from '../../src/proxy/pool.js';
import type { Reranker } from '../../src/rerank/reranker.js';
import { pipelinesDir } from '../../test/helpers/search-fixtures.js';

const DATA = resolve(REPO_ROOT, '../shared/data');
const G = join(DATA, 'grocery-store-products');
const INDEX = 'grocery-bench';
const WINDOWS = [20, 50, 100];
const WARM_RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const es = await startEngine('elasticsearch');
  const catalog = readFileSync(join(G, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // the 81 products twice under new ids, so that a window of 100 holds 100 documents (the copies' photos are
  // the same files: a cold window of 100 decodes 81 distinct photos)
  const docs = [...catalog, ...catalog].map((c, i) => ({ id: String(i), title: c.title, description: c.description, image: join(G, c.iconic_image) }));

  const pipes = pipelinesDir();
  const mk = async () => {
    const config = parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls: [engineUrl('elasticsearch')] },
      log: { level: 'silent', access: false },
      models: { dir: resolve(REPO_ROOT, '../shared/models') },
      media: { roots: [DATA] },
      // the shipped pipelines with a budget that never cuts a cold run short: this measures latency, not fail-open
      pipelines: { dir: pipes },
    });
    return startServer(config);
  };
  let srv = await mk();
  const { engine, pipelines } = srv.services;
  const have = await engine.json<{ count?: number }>('POST', `/${INDEX}/_count`, { query: { exists: { field: 'image_vector' } } });
  if (have.body?.count !== docs.length) {
    process.stdout.write(`indexing ${docs.length} products through the proxy (vectors at ingest)…\n`);
    await engine.json('DELETE', `/${INDEX}`);
    await setupIndex(engine, pipelines.get('grocery')!, INDEX);
    const nd = docs.flatMap((d) => [JSON.stringify({ index: { _id: d.id } }), JSON.stringify({ title: d.title, description: d.description, image: d.image })]).join('\n') + '\n';
    const r = await fetch(`${srv.url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    if (r.status !== 200) throw new Error(`bulk failed: ${r.status} ${await r.text()}`);
  }
  await srv.close();

  const search = async (url: string, body: unknown) => {
    const t = performance.now();
    const r = await fetch(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = (await r.json()) as { vlrerank?: { degraded: boolean; reason?: string } };
    if (r.status !== 200 || j.vlrerank?.degraded) throw new Error(`search failed: ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
    return performance.now() - t;
  };
  const queries = ['fresh orange juice', 'green apple', 'organic milk', 'vanilla yoghurt', 'sweet potato', 'red pepper'];
  const rows: string[] = [];
  for (const w of WINDOWS) {
    // fresh process: empty feature cache; models loaded by a warm-up that touches no catalog photo
    srv = await mk();
    await srv.services.reranker.warmup();
    const q = queries[WINDOWS.indexOf(w) % queries.length]!;
    // every document matches (BM25 only orders them), so each window is full
    const plainBody = { size: 10, _source: ['title'], query: { bool: { must: { match_all: {} }, should: { multi_match: { query: q, fields: ['title^2', 'description'] } } } } };
    const rerankBody = { size: 10, _source: ['title'], query: plainBody.query, ext: { vlrerank: { query: q, window: w } } };
    const plainWindow = { ...plainBody, size: w };
    for (let i = 0; i < 3; i++) await search(srv.url, plainBody); // connection + engine caches
    const plainRuns: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) plainRuns.push(await search(srv.url, plainWindow));
    const plain = median(plainRuns);
    const cold = await search(srv.url, rerankBody);
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push(await search(srv.url, rerankBody));
    const wm = median(warm);
    rows.push(`window ${String(w).padStart(3)} | plain first stage (size=${w}) ${plain.toFixed(1).padStart(7)} ms | reranked cold ${cold.toFixed(0).padStart(6)} ms (×${(cold / plain).toFixed(0)}) | reranked warm ${wm.toFixed(1).padStart(7)} ms (×${(wm / plain).toFixed(1)})`);
    process.stdout.write(rows[rows.length - 1] + '\n');
    await srv.close();
  }
  process.stdout.write(`\nbench:search — Elasticsearch ${INDEX}, text query, BM25 first stage, rerank over title+description+photo; medians of ${WARM_RUNS} (warm), one cold run each\n${rows.join('\n')}\n`);
  if (es.started) await stopEngine('elasticsearch');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
