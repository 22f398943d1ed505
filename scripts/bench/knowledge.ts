/**
 * `npm run bench:knowledge`: SciFact's test queries (all 300) through the proxy's knowledge-base
 * pipeline on Elasticsearch, on the demo index that keeps each abstract's feature record (`npm
 * start` builds it; issue 12), measured three ways in one run, query by query interleaved:
 *   - records:    vlrerank as shipped (`features.store: index`): reranks from the stored records;
 *   - on the fly: a second vlrerank whose knowledge-base pipeline keeps no records
 *                 (`features.store: none`, a budget it never reaches): it embeds the same windows'
 *                 abstracts (or reads them from `--store-dir`, a disk feature store, when given —
 *                 query vectors too, once a run has put them there: its rerank stage then runs no
 *                 model at all, where the records arm encodes every query);
 *   - direct:     the same first-stage request (BM25, the pipeline's default window, the record
 *                 field asked for) sent to the engine itself.
 * `--no-on-the-fly` leaves the second arm out (at a window of 300 it embeds 90,000 abstracts).
 * Prints degraded searches, nDCG@10 of each (BEIR qrels), the text-model runs of the records arm
 * (one per query when no abstract is embedded), and latency ratios p50 records / p50 direct.
 * Goals (issue 12): 0 degraded; |nDCG@10 records − on the fly| ≤ 0.002; p50 ratio ≤ 3.
 * Prints figures; asserts nothing; never creates, changes or deletes an index.
 *
 * Usage: npm run bench:knowledge [-- --index scifact --queries 300 --upstream http://127.0.0.1:19200 --store-dir DIR --no-on-the-fly]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ndcgAt } from '../../src/eval/metrics.js';
import { loadPipelines } from '../../src/pipelines/index.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { currentRecords } from '../demo/indices.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    index: { type: 'string', default: 'scifact' },
    queries: { type: 'string', default: '300' },
    upstream: { type: 'string', default: process.env.VLRERANK_UPSTREAM ?? 'http://127.0.0.1:19200' },
    'store-dir': { type: 'string' },
    'no-on-the-fly': { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: resolve(REPO, '../shared/data') },
    'models-dir': { type: 'string', default: process.env.VLRERANK_MODELS_DIR ?? resolve(REPO, '../shared/models') },
  },
});
const INDEX = args.index!;
const OTF = !args['no-on-the-fly'];

function scifact(dataDir: string, n: number): Array<{ id: string; text: string; rel: Map<string, number> }> {
  const dir = join(dataDir, 'scifact-beir');
  const texts = new Map(readFileSync(join(dir, 'queries.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { _id: string; text: string }).map((q) => [q._id, q.text]));
  const rels = new Map<string, Map<string, number>>();
  for (const l of readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8').trim().split('\n').slice(1)) {
    const [q, d, s] = l.split('\t');
    if (!rels.has(q!)) rels.set(q!, new Map());
    rels.get(q!)!.set(d!, Number(s));
  }
  return [...rels].slice(0, n).map(([id, rel]) => ({ id, text: texts.get(id)!, rel }));
}

/** The shipped pipelines, with the knowledge base keeping no records and never running out of budget. */
function onTheFlyPipelines(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-bench-kb-'));
  const kb = YAML.parse(readFileSync(join(REPO, 'pipelines', 'knowledge-base.yaml'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'knowledge-base.yaml'), YAML.stringify({ ...kb, budget_ms: 3_600_000, features: { store: 'none' } }));
  return dir;
}

function server(pipelinesDir: string, storeDir?: string): Promise<RunningServer> {
  return startServer(
    parseConfig({
      server: { port: 0, ui: false },
      upstream: { urls: [args.upstream!] },
      log: { level: 'silent', access: false },
      models: { dir: args['models-dir']! },
      pipelines: { dir: pipelinesDir },
      ...(storeDir ? { store: { disk: { path: storeDir } } } : {}),
    }),
  );
}

async function post(url: string, body: unknown): Promise<{ ms: number; json: any }> {
  const t0 = performance.now();
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as any;
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${JSON.stringify(json).slice(0, 300)}`);
  return { ms, json };
}

/** Text-model runs of a server so far (the batch-size histogram's count). */
async function textRuns(url: string): Promise<number> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  const m = /vlrerank_batch_size_count\{model="bge-small-en-v1\.5"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const queries = scifact(args['data-dir']!, Number(args.queries));
  const kb = loadPipelines(join(REPO, 'pipelines'), REPO).find((p) => p.name === 'knowledge-base')!;
  // the shipped window, and the fields the proxy's own BM25 first stage matches (src/search/plan.ts)
  const WINDOW = kb.window.default;
  const matchFields = kb.first_stage.match_fields ?? kb.fields.text;
  const otfDir = onTheFlyPipelines();
  const records = await server(join(REPO, 'pipelines'));
  const onTheFly = OTF ? await server(otfDir, args['store-dir']) : undefined;
  try {
    const count = ((await (await fetch(`${args.upstream}/${INDEX}/_count`)).json()) as { count?: number }).count;
    const kept = await currentRecords(INDEX, { proxyUrl: records.url, recordKeys: await records.services.reranker.recordKeys() }, kb);
    process.stdout.write(
      `index ${INDEX} on ${args.upstream}: ${count ?? 'no'} documents, ${kept?.current.size ?? 0} with a current feature record` +
        `${count !== 5183 ? ' — NOT the whole SciFact corpus (5,183): figures are for this index as it is' : ''}\n` +
        `first stage: window ${WINDOW}, fusion ${JSON.stringify(kb.first_stage.fusion)}\n` +
        `on the fly: ${!OTF ? 'left out (--no-on-the-fly)' : args['store-dir'] ? `text vectors (abstracts and queries) from the disk feature store ${args['store-dir']} when there (computed otherwise)` : 'every abstract embedded by the model'}\n`,
    );
    const search = (q: string) => ({ size: 10, _source: false, query: { multi_match: { query: q, fields: matchFields } } });
    const direct = (q: string) => ({ size: WINDOW, query: { multi_match: { query: q, fields: matchFields } }, _source: kb.fields.text, stored_fields: [kb.features.field] });
    // warm-up: models loaded, connections open (not counted; texts that are not test queries)
    for (const q of ['vitamin D and bone fractures', 'stem cells repair damaged heart tissue']) {
      await post(`${args.upstream}/${INDEX}/_search`, direct(q));
      await post(`${records.url}/${INDEX}/_search`, search(q));
      if (onTheFly) await post(`${onTheFly.url}/${INDEX}/_search`, search(q));
    }
    const runs0 = await textRuns(records.url);
    const ms = { direct: [] as number[], records: [] as number[], onTheFly: [] as number[] };
    const ndcg = { firstStage: [] as number[], records: [] as number[], onTheFly: [] as number[] };
    const degraded = { records: 0, onTheFly: 0 };
    // the proxy's own stage timings (first stage incl. fetching records, rerank), per arm
    const stages = { records: { first: [] as number[], rerank: [] as number[] }, onTheFly: { first: [] as number[], rerank: [] as number[] } };
    let differentTop10 = 0;
    const t0 = performance.now();
    for (const [i, q] of queries.entries()) {
      const d = await post(`${args.upstream}/${INDEX}/_search`, direct(q.text));
      const r = await post(`${records.url}/${INDEX}/_search`, search(q.text));
      const o = onTheFly ? await post(`${onTheFly.url}/${INDEX}/_search`, search(q.text)) : r;
      ms.direct.push(d.ms);
      ms.records.push(r.ms);
      ms.onTheFly.push(o.ms);
      const ids = (x: any, k = 10) => (x.hits.hits as Array<{ _id: string }>).slice(0, k).map((h) => h._id);
      ndcg.firstStage.push(ndcgAt(ids(d.json), q.rel, 10));
      ndcg.records.push(ndcgAt(ids(r.json), q.rel, 10));
      ndcg.onTheFly.push(ndcgAt(ids(o.json), q.rel, 10));
      for (const [arm, x] of [['records', r], ['onTheFly', o]] as const) {
        stages[arm].first.push(x.json.vlrerank?.timings?.first_stage_ms ?? NaN);
        stages[arm].rerank.push(x.json.vlrerank?.timings?.rerank_ms ?? NaN);
      }
      if (r.json.vlrerank?.degraded) degraded.records++;
      if (o.json.vlrerank?.degraded) degraded.onTheFly++;
      if (ids(r.json).join() !== ids(o.json).join()) differentTop10++;
      if ((i + 1) % 25 === 0) process.stdout.write(`  ${i + 1}/${queries.length} queries (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    const runs = (await textRuns(records.url)) - runs0;
    const f = (x: number) => x.toFixed(4);
    const p50 = { direct: pct(ms.direct, 50), records: pct(ms.records, 50), onTheFly: pct(ms.onTheFly, 50) };
    const dN = Math.abs(mean(ndcg.records) - mean(ndcg.onTheFly));
    const o = (x: string) => (OTF ? x : 'left out');
    process.stdout.write(
      `\nSciFact, ${queries.length} test queries, knowledge-base pipeline (window ${WINDOW}), ${INDEX}:\n` +
        `  degraded          records ${degraded.records} | on the fly ${o(String(degraded.onTheFly))}                     (goal: 0)\n` +
        `  nDCG@10           first stage ${f(mean(ndcg.firstStage))} | records ${f(mean(ndcg.records))} | on the fly ${o(f(mean(ndcg.onTheFly)))}\n` +
        (OTF ? `  |Δ nDCG@10|       ${f(dN)} (records vs on the fly; top 10 differ in ${differentTop10} queries)   (goal: ≤ 0.002)\n` : '') +
        `  text-model runs   records arm: ${runs} for ${queries.length} queries (one per query = no abstract embedded)\n` +
        `  latency p50 (ms)  direct ${p50.direct.toFixed(1)} | records ${p50.records.toFixed(1)} | on the fly ${o(p50.onTheFly.toFixed(1))}\n` +
        `  latency p90 (ms)  direct ${pct(ms.direct, 90).toFixed(1)} | records ${pct(ms.records, 90).toFixed(1)} | on the fly ${o(pct(ms.onTheFly, 90).toFixed(1))}\n` +
        `  proxy stages p50  first stage: records ${pct(stages.records.first, 50).toFixed(1)} | on the fly ${o(pct(stages.onTheFly.first, 50).toFixed(1))};  rerank: records ${pct(stages.records.rerank, 50).toFixed(1)} | on the fly ${o(pct(stages.onTheFly.rerank, 50).toFixed(1))}\n` +
        `  ratio p50 records / direct = ${(p50.records / p50.direct).toFixed(2)}×   (goal: ≤ 3×);  on the fly / direct = ${o(`${(p50.onTheFly / p50.direct).toFixed(2)}×`)}\n`,
    );
  } finally {
    await records.close();
    await onTheFly?.close();
    rmSync(otfDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
