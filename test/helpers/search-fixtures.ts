/**
 * Fixtures for the search-integration tests: a vlrerank server in front of a real engine with the
 * real models and data from ../shared, the official client of that engine pointed at it, and the
 * Grocery catalog indexed through the proxy (vectors added at ingest), reused when already complete.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import type { EngineClient } from '../../src/engine/client.js';
import { setupIndex, type SetupResult } from '../../src/engine/mapping.js';
import type { Pipeline } from '../../src/pipelines/schema.js';
import type { PipelineRegistry } from '../../src/pipelines/index.js';
import type { UpstreamPool } from '../../src/proxy/pool.js';
import type { Reranker } from '../../src/rerank/reranker.js';
import type { Scorer } from '../../src/search/hit-scorer.js';
import type { Logger } from '../../src/observability/logger.js';
import { ALL_VERSIONS, distributionOf, useEngine, type EngineName } from './engines.js';
import { DATA, MODELS, REPO_ROOT } from './paths.js';
import { withFixtureLock } from './fixture-lock.js';
import { scoreFusionOf } from '../../src/search/shape.js';

/** An engine to run against (`elasticsearch`, `elasticsearch9`, `opensearch`, `opensearch3`). */
export type Engine = EngineName;
/** One version of each engine (ES 8.19, OpenSearch 2.19): the search tests that are not about versions. */
export const ENGINES: Array<'elasticsearch' | 'opensearch'> = ['elasticsearch', 'opensearch'];
/** Every engine version (ES 8.19 and 9.2, OpenSearch 2.19 and 3.6): the rerank syntaxes. */
export const ALL_ENGINES: Engine[] = ALL_VERSIONS;
/** Is this engine an Elasticsearch (its official client and dialect), whatever its version? */
export const isElasticsearch = (engine: Engine): boolean => distributionOf(engine) === 'elasticsearch';
export const GROCERY_DIR = join(DATA, 'grocery-store-products');

export interface Catalog {
  class_id: number;
  class_name: string;
  coarse_class_id: number;
  coarse_class_name: string;
  top_category: string;
  title: string;
  description: string;
  iconic_image: string;
}

export const catalog: Catalog[] = readFileSync(join(GROCERY_DIR, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Catalog);

/** In-store photos: every `step`-th of the 405 (5 per product, in class order). */
export function groceryQueries(step = 10): Array<{ image: string; classId: number; coarse: number }> {
  const rows = readFileSync(join(GROCERY_DIR, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  return rows.filter((_, i) => i % step === 0).map((r) => ({ image: join(GROCERY_DIR, r[0]!), classId: Number(r[1]), coarse: Number(r[3]) }));
}

export function groceryDoc(c: Catalog): Record<string, unknown> {
  return { title: c.title, description: c.description, class_id: c.class_id, coarse_class_id: c.coarse_class_id, top_category: c.top_category, image: join(GROCERY_DIR, c.iconic_image) };
}

/**
 * A pipelines folder for tests: the shipped pipelines with a generous rerank budget (the machine is
 * shared: a test about ranking must not turn into a test of the time budget — fail-open has its own
 * test with its own budgets), plus extra YAML documents (file name → text).
 */
export function pipelinesDir(extra: Record<string, string> = {}, budgetMs = 300_000): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-pipelines-'));
  for (const f of readdirSync(join(REPO_ROOT, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
    writeFileSync(join(dir, f), readFileSync(join(REPO_ROOT, 'pipelines', f), 'utf8').replace(/^budget_ms: \d+$/m, `budget_ms: ${budgetMs}`));
  }
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * The shipped pipelines' texts (file name → YAML), each also applying to `prefix` + its name + `-eval`
 * and with a 300 s budget: the eval scripts' own indices (scripts/bench/search-eval.ts, fusion-fit.ts).
 */
export function prefixedPipelineTexts(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(join(REPO_ROOT, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
    const name = f.replace(/\.yaml$/, '');
    out[f] = readFileSync(join(REPO_ROOT, 'pipelines', f), 'utf8').replace(/^index_patterns: \[(.*)\]$/m, `index_patterns: [$1, ${prefix}${name}-eval]`).replace(/^budget_ms: \d+$/m, 'budget_ms: 300000');
  }
  return out;
}

export interface SearchProxy {
  srv: RunningServer;
  url: string;
  engineUrl: string;
  pool: UpstreamPool;
  /** JSON requests to the engine behind (setup and checks that bypass the proxy). */
  engine: EngineClient;
  pipelines: PipelineRegistry;
  reranker: Reranker;
  close(): Promise<void>;
}

/**
 * A vlrerank server in front of `engine` (or of what `via` puts in front of it: a relay that
 * counts the engine calls). `scorer`: a fault fake to score hits with instead of the
 * reranker (the server is built with it; the warm-up is then skipped, as nothing would use it).
 */
export async function startSearchProxy(
  engine: Engine,
  opts: { pipelinesDir?: string; scorer?: Scorer; rerank?: Record<string, unknown>; media?: Record<string, unknown>; aliasCacheMs?: number; mappingCacheMs?: number; resultWindowCacheMs?: number; bulkBudgetMs?: number; via?: (engineUrl: string) => Promise<string>; logger?: Logger } = {},
): Promise<SearchProxy> {
  const engineUrl = await useEngine(engine);
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [opts.via ? await opts.via(engineUrl) : engineUrl] },
    // a test that reads the log hands its own logger: access lines go there
    log: opts.logger ? { level: 'info', access: true } : { level: 'silent', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    media: { roots: [DATA], ...opts.media },
    // no `_bulk` time budget unless a test asks (pipelines.bulkBudgetMs): a test loading documents must
    // not become one of the machine's speed (a slow run would answer some items 429)
    pipelines: { dir: opts.pipelinesDir ?? pipelinesDir(), ...(opts.aliasCacheMs !== undefined ? { aliasCacheMs: opts.aliasCacheMs } : {}), ...(opts.mappingCacheMs !== undefined ? { mappingCacheMs: opts.mappingCacheMs } : {}), ...(opts.resultWindowCacheMs !== undefined ? { resultWindowCacheMs: opts.resultWindowCacheMs } : {}), bulkBudgetMs: opts.bulkBudgetMs ?? 0 },
    // as the pipelines' budget: a test about ranking must not become one of admission's wait bound on a
    // loaded machine (a search whose estimated wait passed 10 s came back failed open); tests of
    // admission pass their own `admission` (which replaces this one)
    rerank: { ...(opts.scorer ? { warmup: false } : {}), admission: { maxQueueWaitMs: 300_000 }, ...opts.rerank },
  });
  const srv = await startServer(config, { scorer: opts.scorer, ...(opts.logger ? { logger: opts.logger } : {}) });
  return {
    srv,
    url: srv.url,
    engineUrl,
    pool: srv.services.pool,
    engine: srv.services.engine,
    pipelines: srv.services.pipelines,
    reranker: srv.services.reranker,
    close: () => srv.close(),
  };
}

export function esClient(url: string): EsClient {
  return new EsClient({ node: url, requestTimeout: 600_000 }); // a bulk of 81 photos computes their features at ingest: minutes on a loaded 2-core box
}
export function osClient(url: string): OsClient {
  return new OsClient({ node: url, requestTimeout: 120_000 });
}

/**
 * The image path a document of an index kept from an earlier run holds: paths are absolute, so an
 * index built from another checkout (another ../shared) is rebuilt, not reused with photos the
 * media roots of this run refuse.
 */
export async function storedImage(p: SearchProxy, index: string, id: string): Promise<unknown> {
  const r = await p.engine.json<{ _source?: { image?: unknown } }>('GET', `/${index}/_doc/${encodeURIComponent(id)}`);
  return r.statusCode === 200 ? r.body._source?.image : undefined;
}

/**
 * Index the Grocery catalog into `index` through the proxy with the engine's official client
 * (`_bulk`, vectors added by the proxy), unless the index already holds all 81 with vectors.
 */
export async function ensureGrocery(p: SearchProxy, engine: Engine, index: string, opts: { force?: boolean } = {}): Promise<{ reused: boolean; bulk?: Record<string, unknown> }> {
  // test runs sharing this index on the same engines (one run's files go one at a time, but other
  // checkouts' runs may be at it too): one builds it, the others wait and reuse it
  return withFixtureLock(`${engine}-${index}`, () => buildGrocery(p, engine, index, opts));
}

async function buildGrocery(p: SearchProxy, engine: Engine, index: string, opts: { force?: boolean }): Promise<{ reused: boolean; bulk?: Record<string, unknown> }> {
  const pipeline = p.pipelines.forIndex(index)!;
  const vec = pipeline.vectors.image!.field;
  const count = async (query: object) => {
    const r = await p.engine.json<{ count?: number }>('POST', `/${index}/_count`, { query });
    return r.statusCode === 200 ? r.body.count : undefined;
  };
  if (
    !opts.force &&
    (await count({ match_all: {} })) === catalog.length &&
    (await count({ exists: { field: vec } })) === catalog.length &&
    (await storedImage(p, index, String(catalog[0]!.class_id))) === groceryDoc(catalog[0]!).image
  ) {
    return { reused: true };
  }
  await freshIndex(p, pipeline, index);
  const bulk = (await clientBulk(engine, p.url, catalog.flatMap((c) => [{ index: { _index: index, _id: String(c.class_id) } }, groceryDoc(c)]))) as Record<string, unknown>;
  return { reused: false, bulk };
}

/** `index` made anew for `pipeline`: deleted if it exists, then `index setup` (its result). */
export async function freshIndex(p: SearchProxy, pipeline: Pipeline, index: string): Promise<SetupResult> {
  await p.engine.json('DELETE', `/${index}`);
  return setupIndex(p.engine, pipeline, index);
}

/** `index` made anew for `pipeline` holding `docs` as `d0`, `d1`…, written to the engine directly (no records, no vectors); whether the `_bulk` had errors. */
export async function seededIndex(p: SearchProxy, pipeline: Pipeline, index: string, docs: object[]): Promise<boolean> {
  await freshIndex(p, pipeline, index);
  const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify(d)]).join('\n') + '\n';
  return (await p.engine.json<{ errors?: boolean }>('POST', `/${index}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors !== false;
}

/** One refreshed `_bulk` through `url` with the engine's official client; returns the response body (with vlrerank's summary). */
export async function clientBulk(engine: Engine, url: string, operations: object[]): Promise<any> {
  if (isElasticsearch(engine)) return esClient(url).bulk({ operations, refresh: true });
  return (await osClient(url).bulk({ body: operations, refresh: true })).body;
}

/** One search through the engine's official client (`{index, body, ...query params}`); returns the response body. */
export async function clientSearch(engine: Engine, url: string, params: Record<string, unknown>): Promise<any> {
  if (isElasticsearch(engine)) return esClient(url).search(params as never);
  return (await osClient(url).search(params as never)).body;
}

/** The same, returning {statusCode, body, headers} whatever the status (errors included). */
export async function clientSearchRaw(engine: Engine, url: string, params: Record<string, unknown>): Promise<{ statusCode: number; body: any; headers: Record<string, unknown> }> {
  try {
    if (isElasticsearch(engine)) {
      const r = await esClient(url).search(params as never, { meta: true });
      return { statusCode: r.statusCode ?? 200, body: r.body, headers: r.headers as Record<string, unknown> };
    }
    const r = await osClient(url).search(params as never);
    return { statusCode: r.statusCode ?? 200, body: r.body, headers: r.headers as Record<string, unknown> };
  } catch (e) {
    const m = (e as { meta?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> } }).meta;
    if (!m?.statusCode) throw e;
    return { statusCode: m.statusCode, body: m.body, headers: m.headers ?? {} };
  }
}

/**
 * A reranked response in a few lines, for assertion messages: the report and, per top hit, its
 * first-stage rank and its signals (or media error), so a wrong order says why it happened.
 */
export function why(body: any, top = 5): string {
  const hits = (body?.hits?.hits ?? []).slice(0, top).map((h: any) => {
    const v = h._vlrerank ?? {};
    const e = v.explanation ?? {};
    const signals = (e.signals ?? []).map((s: any) => `${s.name} ${s.raw}→${s.calibrated}`).join(', ');
    return `  ${h._id} score ${h._score} first-stage #${v.first_stage_rank}: ${e.error ? `error ${e.error.code} ${e.error.reason}` : signals || 'no signals'}`;
  });
  return `\n vlrerank ${JSON.stringify(body?.vlrerank)}\n${hits.join('\n')}\n`;
}

/**
 * A routing value that puts document `id` of `index` (several shards) on another shard than its id
 * alone would: a document written with it is not found by a GET without the routing. Tried with a
 * throw-away write of `id`, deleted again.
 */
export async function offShardRouting(engine: EngineClient, index: string, id: string): Promise<string> {
  for (let k = 0; ; k++) {
    const r = `r${k}`;
    await engine.json('PUT', `/${index}/_doc/${encodeURIComponent(id)}?routing=${r}&refresh=true`, { title: 'probe' });
    const found = (await engine.json('GET', `/${index}/_doc/${encodeURIComponent(id)}`)).statusCode !== 404;
    await engine.json('DELETE', `/${index}/_doc/${encodeURIComponent(id)}?routing=${r}&refresh=true`);
    if (!found) return r;
  }
}

/**
 * `index` made anew on three shards (through the index template `template`) and set up for
 * `pipeline`, with `docs` written as `d0`, `d1`… — those named in `offShard` routed to another shard
 * than their id alone would put them on (`offShardRouting`). The routing values used, by id.
 */
export async function seedThreeShards(engine: EngineClient, pipeline: Pipeline, index: string, template: string, docs: object[], offShard: readonly string[] = []): Promise<Record<string, string>> {
  await engine.json('DELETE', `/${index}`);
  const t = await engine.json('PUT', `/_index_template/${template}`, { index_patterns: [`${index}*`], template: { settings: { number_of_shards: 3, number_of_replicas: 0 } } });
  if (t.statusCode !== 200) throw new Error(`index template ${template}: ${t.statusCode}`);
  await setupIndex(engine, pipeline, index);
  const routing: Record<string, string> = {};
  for (const id of offShard) routing[id] = await offShardRouting(engine, index, id);
  const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: `d${i}`, ...(routing[`d${i}`] ? { routing: routing[`d${i}`] } : {}) } }), JSON.stringify(d)]).join('\n') + '\n';
  const r = await engine.json<{ errors?: boolean }>('POST', `/${index}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
  if (r.body.errors !== false) throw new Error(`seeding ${index}: the _bulk had errors`);
  return routing;
}

/** A text-only pipeline for `pattern`: BM25 on `title` and `text`, reranked on both (window 20, fail-open). */
export function textPipeline(name: string, pattern: string, o: { default?: boolean; budgetMs?: number } = {}): string {
  return `name: ${name}
index_patterns: [${pattern}]
${o.default === undefined ? '' : `default: ${o.default}\n`}${o.budgetMs === undefined ? '' : `budget_ms: ${o.budgetMs}\n`}fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_open
`;
}

/** A grocery photo pipeline for `pattern`: vectors (image and bridge) added at ingest, records kept in the index. */
export function photoIngestPipeline(name: string, pattern: string): string {
  return `name: ${name}
index_patterns: [${pattern}]
fields:
  text: [title, description]
  image: [image]
vectors:
  ingest: true
  image: { field: image_vector, dims: 1280 }
  bridge: { field: image_text_vector, dims: 384 }
features: { store: index }
`;
}

/** Five short documents for "sweet" searches: four sweet things and one that is not. */
export const SWEET_DOCS = [
  { title: 'apple pie', text: 'a sweet baked dessert' },
  { title: 'apple juice', text: 'sweet pressed fruit drink' },
  { title: 'honey cake', text: 'a sweet sticky dessert' },
  { title: 'sugar syrup', text: 'very sweet' },
  { title: 'salt', text: 'not sweet at all' },
];

/** The 28 fruits of the grocery catalog (../shared/data), by class name, title and description. */
export function groceryFruit(): Array<{ class_name: string; title: string; description: string }> {
  return readFileSync(join(GROCERY_DIR, 'catalog.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { class_name: string; top_category: string; title: string; description: string })
    .filter((p) => p.top_category === 'Fruit');
}

/**
 * A proxy on `engine` with `pipelinesDir`, and `index` made fresh by pipeline `setupPipeline` and
 * filled through it with the grocery fruits as text documents (`{title, text}`, ids their class
 * names), refreshed.
 */
export async function fruitIndexProxy(engine: Engine, pipelinesDir: string, setupPipeline: string, index: string): Promise<SearchProxy> {
  const p = await startSearchProxy(engine, { pipelinesDir });
  await freshIndex(p, p.pipelines.get(setupPipeline)!, index);
  const bulk = await clientBulk(engine, p.url, groceryFruit().flatMap((f) => [{ index: { _index: index, _id: f.class_name } }, { title: f.title, text: f.description }]));
  if (bulk.errors) throw new Error(`indexing the fruits into ${index} failed: ${JSON.stringify(bulk.items?.find((i: Record<string, { error?: unknown }>) => Object.values(i)[0]?.error)).slice(0, 300)}`);
  await p.engine.json('POST', `/${index}/_refresh`);
  return p;
}


/** One JSON call through a proxy: status, parsed body (undefined when not JSON), text and headers. */
export async function sendJson(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const r = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed, text, headers: r.headers };
}

/** The scores a pipeline's reranked searches give `documents` for `query` (process() with the pipeline's scorer), in input order. */
export async function pipelineScores(p: SearchProxy, name: string, query: string, documents: string[]): Promise<number[]> {
  const g = p.pipelines.get(name)!;
  const out = await p.reranker.process(
    { query, documents, instruction: g.instruction, weights: g.scorer.weights, backend: g.scorer.backend },
    { chunking: g.scorer.chunking, scoreFusion: scoreFusionOf(g) },
  );
  return out.scores;
}
