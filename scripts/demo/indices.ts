/**
 * The demo indices, created and filled THROUGH the proxy (so the search engineer's ingest
 * transform adds the image/video vectors at `_bulk` time, as it would for any user):
 *
 *   grocery  Grocery Store catalog: 81 products, iconic photo + title + description
 *   coco     COCO-mini: 239 photos, one caption each (all five kept in `captions`)
 *   videos   Intel sample videos: 37 clips with a title
 *   scifact  SciFact abstracts: 5,183 texts (the knowledge base)
 *
 * Reusable by `npm start`, tests and examples: `ensureDemoIndices({ proxyUrl, dataDir })`.
 * An index that already holds the expected number of documents (and, where its pipeline adds
 * vectors at ingest, the vectors; where it keeps feature records in the index, the record field
 * and, given the running reranker's record keys, a current record in every document — issue 12)
 * is reused as it is; otherwise it is deleted and rebuilt.
 * Media fields hold absolute paths under the data folder, which must be one of media.roots.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Pipeline } from '../../src/pipelines/index.js';
import { RECORD_MAPPING, recordFieldMapped, sourceMapping } from '../../src/engine/mapping.js';
import { parseRecord, unpackRecord } from '../../src/features/record/index.js';
import type { RecordKeys } from '../../src/rerank/records/keys.js';
import { takeBuildLock } from './build-lock.js';

export type DemoIndexName = 'grocery' | 'coco' | 'videos' | 'scifact';
export const DEMO_INDEX_NAMES: DemoIndexName[] = ['grocery', 'coco', 'videos', 'scifact'];

/** Folders of the data set each index is built from (../shared/data layout). */
export const DATASET_OF: Record<DemoIndexName, string> = {
  grocery: 'grocery-store-products',
  coco: 'coco-captions-mini',
  videos: 'intel-sample-videos',
  scifact: 'scifact-beir',
};

export type Doc = { _id: string } & Record<string, unknown>;

async function* jsonl<T>(file: string): AsyncGenerator<T> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) yield JSON.parse(line) as T;
}

/** The documents of one demo index, in a stable order. */
export async function* demoDocs(name: DemoIndexName, dataDir: string): AsyncGenerator<Doc> {
  const dir = resolve(dataDir, DATASET_OF[name]);
  switch (name) {
    case 'grocery':
      for await (const p of jsonl<Record<string, unknown> & { class_name: string; iconic_image: string }>(join(dir, 'catalog.jsonl'))) {
        yield {
          _id: p.class_name,
          title: p.title,
          description: p.description,
          class_id: p.class_id,
          class_name: p.class_name,
          coarse_class_name: p.coarse_class_name,
          top_category: p.top_category,
          country_and_volume: p.country_and_volume,
          image: join(dir, p.iconic_image),
        };
      }
      return;
    case 'coco':
      for await (const c of jsonl<{ image: string; coco_id: number; captions: string[]; license: string; flickr_url: string }>(join(dir, 'captions.jsonl'))) {
        yield { _id: String(c.coco_id), caption: c.captions[0], captions: c.captions, image: join(dir, c.image), license: c.license, flickr_url: c.flickr_url };
      }
      return;
    case 'videos':
      for await (const v of jsonl<{ file: string; kind: string; label: string; duration_s: number }>(join(dir, 'videos.jsonl'))) {
        const title = v.kind === 'asl_gesture' ? `ASL sign: ${v.label}` : v.kind === 'scene_full_video' ? `${v.label} (full video)` : v.label;
        yield { _id: v.file.replace(/[/.]/g, '_'), title, label: v.label, kind: v.kind, duration_s: v.duration_s, video: join(dir, v.file) };
      }
      return;
    case 'scifact':
      for await (const d of jsonl<{ _id: string; title: string; text: string }>(join(dir, 'corpus.jsonl'))) yield { _id: d._id, title: d.title, text: d.text };
      return;
  }
}

/** How many documents a complete index holds (lines of its source file). */
export async function expectedCount(name: DemoIndexName, dataDir: string, limit?: number): Promise<number> {
  const file = { grocery: 'catalog.jsonl', coco: 'captions.jsonl', videos: 'videos.jsonl', scifact: 'corpus.jsonl' }[name];
  const n = (await readFile(resolve(dataDir, DATASET_OF[name], file), 'utf8')).split('\n').filter((l) => l.trim()).length;
  return limit ? Math.min(limit, n) : n;
}

/** What is missing from a data folder, as a list of human sentences (empty = fine). */
export function checkDataDir(dataDir: string, names: readonly DemoIndexName[] = DEMO_INDEX_NAMES): string[] {
  if (!existsSync(dataDir)) return [`the demo data folder ${dataDir} does not exist`];
  return names.filter((n) => !existsSync(resolve(dataDir, DATASET_OF[n]))).map((n) => `${resolve(dataDir, DATASET_OF[n])} is missing (needed for the "${n}" index)`);
}

export type Dialect = 'elasticsearch' | 'opensearch';

/** The mapping of a demo index for the engine behind the proxy, with the vector fields its pipeline ingests. */
export function demoMapping(name: DemoIndexName, dialect: Dialect, pipeline?: Pipeline): Record<string, unknown> {
  const text = { type: 'text' };
  const kw = { type: 'keyword' };
  const path = { type: 'keyword', index: false };
  const props: Record<string, Record<string, unknown>> = {
    grocery: { title: text, description: text, class_id: { type: 'integer' }, class_name: kw, coarse_class_name: kw, top_category: kw, country_and_volume: text, image: path },
    coco: { caption: text, captions: text, image: path, license: kw, flickr_url: path },
    videos: { title: text, label: kw, kind: kw, duration_s: { type: 'float' }, video: path },
    scifact: { title: text, text },
  }[name];
  const settings: Record<string, unknown> = { number_of_shards: 1, number_of_replicas: 0 };
  const vecs = pipeline?.vectors.ingest ? [pipeline.vectors.image, pipeline.vectors.bridge].flatMap((v) => (v ? [v] : [])) : [];
  for (const v of vecs) {
    props[v.field] =
      dialect === 'elasticsearch'
        ? { type: 'dense_vector', dims: v.dims, index: true, similarity: v.similarity }
        : // OpenSearch from Maven has no native k-NN libraries: lucene engine only (PITFALLS.md)
          { type: 'knn_vector', dimension: v.dims, method: { name: 'hnsw', engine: 'lucene', space_type: v.similarity === 'cosine' ? 'cosinesimil' : 'innerproduct' } };
  }
  if (vecs.length && dialect === 'opensearch') settings['index.knn'] = true;
  // feature records kept in the index (issue 12): the same field `vlrerank index setup` maps
  const source = pipeline ? sourceMapping(pipeline) : undefined;
  if (source) props[pipeline!.features.field] = { ...RECORD_MAPPING };
  return { settings, mappings: { ...(source ? { _source: source } : {}), properties: props } };
}

/**
 * Is one stored record current: every part it holds made by the models and settings running now
 * (their keys, rerank/records/keys.ts)? The one place that decides it, so that it becomes a count
 * of a keyword field once the index carries the record key beside the record.
 */
export function recordIsCurrent(packed: unknown, keys: RecordKeys): boolean {
  const { record } = parseRecord(unpackRecord(packed));
  if (!record || !(record.text || record.image || record.video)) return false;
  if (record.text && record.text.k !== keys.text) return false;
  if (record.image && record.image.k !== keys.image) return false;
  if (record.video && (!keys.video || record.video.k !== keys.video(record.video.fps, record.video.mf))) return false;
  return true;
}

/** Largest index whose records are all read back (an engine's default `max_result_window`). */
const MAX_CHECKED = 10_000;

/**
 * The ids of an index's documents that hold a current feature record (recordIsCurrent), reading
 * every record back (binary stored fields cannot be counted by a query), and how many documents
 * were read; undefined when the index keeps no records or no keys were given.
 */
export async function currentRecords(index: string, o: Pick<EnsureOptions, 'proxyUrl' | 'recordKeys'>, pipeline: Pipeline | undefined): Promise<{ current: Set<string>; read: number } | undefined> {
  if (pipeline?.features.store !== 'index' || !o.recordKeys) return undefined;
  const field = pipeline.features.field;
  const r = await http<{ hits?: { hits?: Array<{ _id: string; fields?: Record<string, unknown> }> } }>(o.proxyUrl, 'POST', `/${index}/_search`, {
    size: MAX_CHECKED,
    _source: false,
    stored_fields: [field],
    query: { match_all: {} },
  });
  const hits = r.status === 200 ? (r.body.hits?.hits ?? []) : [];
  return { current: new Set(hits.filter((h) => recordIsCurrent(h.fields?.[field], o.recordKeys!)).map((h) => h._id)), read: hits.length };
}

/** Does the kept index keep the feature records its pipeline wants (an index made before records existed does not)? */
async function keepsRecords(index: string, o: EnsureOptions, pipeline: Pipeline | undefined): Promise<boolean> {
  if (pipeline?.features.store !== 'index') return true;
  const r = await http(o.proxyUrl, 'GET', `/${index}/_mapping`);
  return r.status === 200 && recordFieldMapped(r.body, pipeline.features.field);
}

export interface IndexReport {
  name: DemoIndexName;
  /** `resumed`: an interrupted build continued (the documents already there kept). */
  action: 'reused' | 'created' | 'resumed';
  docs: number;
  /** documents sent by this run (fewer than `docs` when an interrupted build was resumed; 0 when reused) */
  indexed: number;
  /** documents whose vectors the proxy could not add (reported in the bulk items), or missing vectors on reuse */
  withoutVectors: number;
  /** why, per document (`_id: reason`), as the proxy reported it in the bulk items */
  vectorErrors: string[];
  /** bulk items that failed outright */
  errors: string[];
  /** documents holding a current feature record (checked when recordKeys were given and the pipeline keeps records) */
  records?: number;
  ms: number;
}

export interface EnsureOptions {
  proxyUrl: string;
  dataDir: string;
  names?: readonly DemoIndexName[];
  /** Pipelines by index (for the vector fields); the demo loads them from the pipelines folder. */
  pipelines?: Partial<Record<DemoIndexName, Pipeline>>;
  /** Index only the first N documents of each set (tests). */
  limit?: number;
  /** Index only the documents this accepts (tests: e.g. the scene clips of the video set). */
  select?: (doc: Doc) => boolean;
  /** Documents per `_bulk` (media indices are slower per document: the proxy embeds each image/video). */
  batch?: Partial<Record<DemoIndexName, number>>;
  /** `_bulk` requests in flight at once (default 2). */
  inflight?: number;
  /**
   * The record keys of the running reranker: a kept index is reused only when every document's
   * record is current (made by these models and settings), and a built one reports how many are.
   */
  recordKeys?: RecordKeys;
  /** Rebuild even when the index looks complete. */
  force?: boolean;
  /** Put before / after each index name (tests use their own indices beside the demo's). */
  prefix?: string;
  suffix?: string;
  /** `total`: the documents this run will index (or finds, when reused). */
  onStart?(name: DemoIndexName, total: number, action: 'reused' | 'created' | 'resumed', rebuiltBecause?: string): void;
  onProgress?(name: DemoIndexName, done: number, total: number): void;
  /**
   * Build each index under a lock per cluster and index on this machine (`npm start`): a second
   * start waits for the first one's build, then finds the index complete. `onWait` is told once.
   */
  lock?: { cluster: string; dir?: string; onWait?(name: DemoIndexName): void };
}

/** Times a `_bulk` item answered 429 is sent again (backing off 0.25 s → 4 s). */
const BULK_RETRIES = 20;

async function http<T = unknown>(base: string, method: string, path: string, body?: string | object, contentType = 'application/json'): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Elasticsearch marks every response with `x-elastic-product`; OpenSearch does not. */
export async function detectDialect(proxyUrl: string): Promise<Dialect> {
  const r = await http(proxyUrl, 'GET', '/_cluster/health');
  if (r.status >= 500) throw new Error(`the cluster behind ${proxyUrl} is not reachable (HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 300)})`);
  return r.headers.get('x-elastic-product') === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
}

/**
 * Whether a kept index points at this data folder: media paths are stored absolute, so an index
 * built from a data folder that has moved since would be reused with photos and clips the proxy can
 * no longer read. Compares the first document's image/video path with the one it would get now.
 */
async function pointsAtDataDir(name: DemoIndexName, index: string, o: EnsureOptions): Promise<boolean> {
  let first: Doc | undefined;
  for await (const d of demoDocs(name, o.dataDir)) {
    if (!o.select || o.select(d)) {
      first = d;
      break;
    }
  }
  const media = first && (['image', 'video'] as const).find((k) => typeof first![k] === 'string');
  if (!first || !media) return true; // text only: nothing to point at
  const r = await http<{ _source?: Record<string, unknown> }>(o.proxyUrl, 'GET', `/${index}/_doc/${encodeURIComponent(first._id)}`);
  return r.status === 200 && r.body._source?.[media] === first[media];
}

async function countOf(proxyUrl: string, index: string, query?: object): Promise<number | null> {
  const r = await http<{ count?: number }>(proxyUrl, 'POST', `/${index}/_count`, query ? { query } : { query: { match_all: {} } });
  return r.status === 200 && typeof r.body.count === 'number' ? r.body.count : null;
}

export async function ensureDemoIndex(name: DemoIndexName, o: EnsureOptions & { dialect: Dialect }): Promise<IndexReport> {
  const t0 = Date.now();
  const pipeline = o.pipelines?.[name];
  const index = `${o.prefix ?? ''}${name}${o.suffix ?? ''}`;
  let total = await expectedCount(name, o.dataDir, o.limit);
  if (o.select) {
    total = 0;
    for await (const d of demoDocs(name, o.dataDir)) if (o.select(d) && !(o.limit && total >= o.limit)) total++;
  }
  const vecField = pipeline?.vectors.ingest ? (pipeline.vectors.image ?? pipeline.vectors.bridge)?.field : undefined;
  const have = await countOf(o.proxyUrl, index);
  /** why a kept index is not reused (printed by `npm start`, so a rebuild is never a mystery) */
  let why = o.force ? 'a rebuild was asked for' : have === null ? '' : `${have} of ${total} documents there`;
  if (!o.force && have === total) {
    // Complete when every document is there and the vectors were added at ingest. A few documents
    // whose media could not be embedded would fail again: rebuild only when no document has them
    // (an index filled before the ingest transform existed).
    const withVec = vecField ? ((await countOf(o.proxyUrl, index, { exists: { field: vecField } })) ?? 0) : total;
    if (!(withVec > 0 || total === 0)) why = 'no document holds the vectors added at ingest';
    else if (!(await pointsAtDataDir(name, index, o))) why = `built from another data folder than ${o.dataDir}`;
    else if (!(await keepsRecords(index, o, pipeline))) why = 'its mapping has no feature-record field';
    else {
      // records made by other models or settings (or missing) would all be recomputed at search time: rebuild
      const records = (await currentRecords(index, o, pipeline))?.current.size;
      if (records === undefined || records === total) {
        o.onStart?.(name, total, 'reused');
        return { name, action: 'reused', docs: total, indexed: 0, withoutVectors: total - withVec, vectorErrors: [], errors: [], ...(records !== undefined ? { records } : {}), ms: Date.now() - t0 };
      }
      why = `${records} of ${total} feature records current (the others made by other models or settings, or missing)`;
    }
  }
  // An interrupted first build (Ctrl+C half-way through SciFact's abstracts) is resumed, not
  // started over, when every document already there holds a current record.
  let skip = new Set<string>();
  if (!o.force && have !== null && have > 0 && have < total && (await keepsRecords(index, o, pipeline)) && (await pointsAtDataDir(name, index, o))) {
    const kept = await currentRecords(index, o, pipeline);
    if (kept && kept.read === have && kept.current.size === have) skip = kept.current;
  }
  const action = skip.size ? 'resumed' : 'created';
  o.onStart?.(name, total - skip.size, action, skip.size ? undefined : why || undefined);
  if (!skip.size) {
    if (have !== null) await http(o.proxyUrl, 'DELETE', `/${index}`);
    const created = await http(o.proxyUrl, 'PUT', `/${index}`, demoMapping(name, o.dialect, pipeline));
    if (created.status !== 200) throw new Error(`creating index ${index} failed: HTTP ${created.status} ${JSON.stringify(created.body).slice(0, 500)}`);
  }

  // Small bulks, several in flight: the proxy embeds each document on the way in, so one bulk of
  // 500 abstracts held a request open for minutes (past the proxy's upstream headers timeout on a
  // busy machine) and showed no progress meanwhile; two bulks in flight keep the model busy while
  // the engine indexes the previous one.
  const per = o.batch?.[name] ?? (name === 'scifact' ? 48 : name === 'videos' ? 4 : 16);
  const inflight = Math.max(1, o.inflight ?? 2);
  const errors: string[] = [];
  const vectorErrors: string[] = [];
  let withoutVectors = 0;
  let done = 0;
  let lines: string[] = [];
  const running = new Set<Promise<void>>();
  let failed: Error | undefined;
  const send = async (body: string[]) => {
    const n = body.length / 2;
    // items answered 429 are sent again after a pause, as the clients' bulk helpers do: the proxy
    // defers documents it has not embedded within its `_bulk` time budget (pipelines.bulkBudgetMs),
    // and the work it began is kept for the retry
    let pending = body;
    for (let attempt = 0; pending.length; attempt++) {
      const r = await http<{ errors?: boolean; items?: Array<Record<string, { _id?: string; status: number; error?: { reason?: string }; vlrerank?: { error?: { reason?: string } } }>> }>(
        o.proxyUrl,
        'POST',
        `/${index}/_bulk`,
        pending.join('\n') + '\n',
        'application/x-ndjson',
      );
      if (r.status !== 200) throw new Error(`_bulk into ${index} failed: HTTP ${r.status} ${String(JSON.stringify(r.body) ?? '(no body)').slice(0, 500)}`);
      const again: string[] = [];
      (r.body.items ?? []).forEach((item, k) => {
        const it = Object.values(item)[0]!;
        if (it.status === 429 && attempt < BULK_RETRIES) again.push(pending[2 * k]!, pending[2 * k + 1]!);
        else if (it.status >= 300) errors.push(it.error?.reason ?? `status ${it.status}`);
        else if (it.vlrerank) {
          withoutVectors++;
          vectorErrors.push(`${it._id ?? '?'}: ${it.vlrerank.error?.reason ?? 'vectors not added'}`);
        }
      });
      pending = again;
      if (pending.length) await new Promise((r) => setTimeout(r, Math.min(4_000, 250 * 2 ** attempt)));
    }
    done += n;
    o.onProgress?.(name, done, total - skip.size);
  };
  const flush = async () => {
    if (!lines.length) return;
    const p: Promise<void> = send(lines).catch((e: Error) => void (failed ??= e)).finally(() => running.delete(p));
    running.add(p);
    lines = [];
    while (running.size >= inflight) await Promise.race(running);
    if (failed) throw failed;
  };
  let i = 0;
  for await (const d of demoDocs(name, o.dataDir)) {
    if (o.select && !o.select(d)) continue;
    if (o.limit && i++ >= o.limit) break;
    if (skip.has(d._id)) continue;
    const { _id, ...src } = d;
    lines.push(JSON.stringify({ index: { _id } }), JSON.stringify(src));
    if (lines.length / 2 >= per) await flush();
  }
  await flush();
  await Promise.all(running);
  if (failed) throw failed;
  await http(o.proxyUrl, 'POST', `/${index}/_refresh`);
  if (vecField) {
    const withVec = (await countOf(o.proxyUrl, index, { exists: { field: vecField } })) ?? 0;
    withoutVectors = Math.max(withoutVectors, total - withVec);
  }
  const records = (await currentRecords(index, o, pipeline))?.current.size;
  return { name, action, docs: skip.size + done - errors.length, indexed: done, withoutVectors, vectorErrors, errors, ...(records !== undefined ? { records } : {}), ms: Date.now() - t0 };
}

/** Create (or reuse) every demo index through the proxy; returns one report per index. */
export async function ensureDemoIndices(o: EnsureOptions): Promise<IndexReport[]> {
  const dialect = await detectDialect(o.proxyUrl);
  const out: IndexReport[] = [];
  for (const name of o.names ?? DEMO_INDEX_NAMES) {
    const index = `${o.prefix ?? ''}${name}${o.suffix ?? ''}`;
    const release = o.lock ? await takeBuildLock({ cluster: o.lock.cluster, index, dir: o.lock.dir, onWait: () => o.lock?.onWait?.(name) }) : undefined;
    try {
      out.push(await ensureDemoIndex(name, { ...o, dialect }));
    } finally {
      await release?.().catch(() => {});
    }
  }
  return out;
}
