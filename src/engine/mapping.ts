/**
 * The index mapping a pipeline needs on the engine behind: its vector fields as `dense_vector` on
 * Elasticsearch, or as `knn_vector` with the lucene HNSW engine on OpenSearch (the k-NN plugin's
 * native engines — faiss, the default, and nmslib — are not available on every install, and a
 * faiss field kills a node without its native library), plus its media fields as stored, unindexed
 * keywords. `setupIndex` creates the index or adds the missing fields to an existing one.
 *
 * A pipeline that keeps feature records in the index (`features.store: index`) gets its record
 * field as `binary` with `store: true`, and the field left out of `_source` (`_source.excludes`).
 * Why this form: `binary` is neither indexed nor given doc values by default, so the engine builds
 * no inverted index, no HNSW graph and no column for it — the record costs one compressed stored
 * field, read only when a search asks for it by `stored_fields`; and being out of `_source` it
 * never shows in what clients read (GET, search hits, `_source` filters behave as without
 * vlrerank). It is plain core mapping, the same on Elasticsearch 8.19/9.2 and OpenSearch 2.19/3.6.
 * (An `enabled: false` object or a `dense_vector` with `index: false` would sit in `_source`,
 * visible to every reader; excluded from `_source`, an object is not kept at all.)
 * The price: an `_update` rebuilds the document from `_source`, so the proxy writes the record of
 * the merged document with each update (ingest/records.ts); a `_reindex` outside the proxy drops
 * records (searches then compute, and backfill writes them again).
 */
import { vlrError, type VlrerankError } from '../errors.js';
import type { Pipeline } from '../pipelines/index.js';
import type { EngineClient } from './client.js';
import { vectorMapping, type Dialect } from './dialect.js';
import { rescoreQuantisedVectors } from './vector-rescore.js';
import { backingIndexOf } from './targets.js';
import { globMatches } from '../util/glob.js';

/** `properties` for the pipeline's fields, as nested objects for dotted paths. */
export function pipelineProperties(p: Pipeline, dialect: Dialect): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const put = (path: string, mapping: Record<string, unknown>) => {
    const keys = path.split('.');
    let cur = props;
    for (const k of keys.slice(0, -1)) {
      const o = (cur[k] ??= { properties: {} }) as { properties: Record<string, unknown> };
      cur = o.properties;
    }
    cur[keys[keys.length - 1]!] = mapping;
  };
  for (const f of p.fields.text) put(f, { type: 'text' });
  for (const f of [...p.fields.image, ...p.fields.video]) put(f, { type: 'keyword', index: false, doc_values: false });
  for (const v of [p.vectors.image, p.vectors.bridge]) if (v) put(v.field, vectorMapping(v.dims, v.similarity, dialect));
  // the text OCR reads in the image (ingest/records.ts `ocrTextOf`), for the BM25 first stage
  if (p.ingest?.ocr_text !== undefined) put(p.ingest.ocr_text, { type: 'text' });
  if (p.features.store === 'index') {
    put(p.features.field, RECORD_MAPPING);
    put(p.features.keyField, RECORD_KEY_MAPPING);
  }
  return props;
}

/** The mapping of a feature-record field (see the header). */
export const RECORD_MAPPING = Object.freeze({ type: 'binary', store: true });

/**
 * The mapping of the record's signature field: an indexed keyword (a `term` query finds records
 * missing or made under another configuration), with doc values so backfill reads it cheaply.
 * Left out of `_source` like the record: an update outside the proxy rebuilds the document from
 * `_source` and drops both together, so a signature never outlives its record.
 */
export const RECORD_KEY_MAPPING = Object.freeze({ type: 'keyword' });

/** `_source` settings of an index created for this pipeline: the record and its signature left out. */
export function sourceMapping(p: Pipeline): Record<string, unknown> | undefined {
  return p.features.store === 'index' ? { excludes: [p.features.field, p.features.keyField] } : undefined;
}

export interface SetupResult {
  index: string;
  action: 'created' | 'updated';
  dialect: Dialect;
  mapping: Record<string, unknown>;
  /** What could not be set up, and why. */
  notes?: string[];
}

type SourceMapping = { enabled?: boolean | string; excludes?: string[]; includes?: string[] } | undefined;

/**
 * Does an index's `_source` mapping keep `field` out of what readers see: a disabled `_source`
 * (nothing is kept: the record, a stored field, is still read by `stored_fields` — on ES 8.19 and
 * OpenSearch 2.19 alike), or an `excludes` entry naming it, its parent, or a wildcard pattern over it
 * (the engines' own matching).
 */
export function keptOutOfSource(source: SourceMapping, field: string): boolean {
  if (source?.enabled === false || source?.enabled === 'false') return true;
  return (source?.excludes ?? []).some((x) => globMatches(x, field) || field.startsWith(`${x}.`));
}

type IndexMappings = { properties?: Record<string, unknown>; _source?: SourceMapping; dynamic_templates?: unknown[] };

/** Each index's mappings in a `GET /{name}/_mapping` answer (an alias or a data stream has several). */
function indexMappings(mappingResponse: unknown): Array<IndexMappings | undefined> {
  return Object.values((mappingResponse ?? {}) as Record<string, { mappings?: IndexMappings }>).map((v) => v?.mappings);
}

/** Is a mapping `type` a vector field (Elasticsearch's `dense_vector`, OpenSearch's `knn_vector`)? */
export const isVectorType = (type: unknown): boolean => type === 'dense_vector' || type === 'knn_vector';

/** The mapping of a dotted path in an index's `properties`. */
function fieldAt(m: IndexMappings, field: string): { type?: string } | undefined {
  let cur: unknown = { properties: m.properties };
  for (const k of field.split('.')) cur = (cur as { properties?: Record<string, unknown> } | undefined)?.properties?.[k];
  return cur as { type?: string } | undefined;
}

/**
 * Is `field` (a dotted path) mapped with `type` and left out of `_source` in a `GET /{name}/_mapping`
 * answer — in every index of it: a write through an alias or a data stream after a rollover may land
 * in any, and an index that does not map the record field would show it in `_source` (held-out
 * probe round 11a; the first index alone was looked at).
 */
function mappedOutOfSource(mappingResponse: unknown, field: string, type: string, stored = false): boolean {
  const all = indexMappings(mappingResponse);
  const fits = (f: { type?: string; store?: unknown } | undefined) => f?.type === type && (!stored || f.store === true || f.store === 'true');
  return all.length > 0 && all.every((m) => !!m && keptOutOfSource(m._source, field) && fits(fieldAt(m, field)));
}

/**
 * The pipeline's vector fields some index of a `GET /{name}/_mapping` answer (or of what its templates
 * make) does not map as a vector of the pipeline's dims (another size: the engine refuses each
 * document that has it): written there, they would be mapped by guess — a `long`/`float`
 * clash that refuses the document on Elasticsearch, plain numbers shown in `_source` on OpenSearch,
 * refused under `dynamic: strict`. An index with dynamic templates may map them by name: not judged.
 */
export function unmappedVectorFields(mappingResponse: unknown, p: Pipeline): string[] {
  const all = indexMappings(mappingResponse);
  if (!all.length || all.some((m) => Array.isArray(m?.dynamic_templates) && m.dynamic_templates.length > 0)) return [];
  const wanted = [p.vectors.image, p.vectors.bridge].filter((v) => v !== undefined);
  const fits = (m: IndexMappings | undefined, v: { field: string; dims: number }) => {
    const f = m && (fieldAt(m, v.field) as { type?: string; dims?: number; dimension?: number } | undefined);
    const dims = f?.dims ?? f?.dimension;
    return !!f && isVectorType(f.type) && (dims === undefined || dims === v.dims);
  };
  return wanted.filter((v) => all.some((m) => !fits(m, v))).map((v) => v.field);
}

/**
 * Does this `GET /{index}/_mapping` answer show the record field as setup made it (`binary`,
 * `store: true`, left out of `_source`)? Not stored (a template's bare `binary`), a record is kept
 * nowhere while its signature says it is current (held-out probe round 11a: the bulk counted it,
 * backfill found nothing to do, every search computed). Only then does ingest add records: on any
 * other index a record would be mapped by guess and shown to every reader.
 */
export const recordFieldMapped = (mappingResponse: unknown, field: string): boolean => mappedOutOfSource(mappingResponse, field, 'binary', true);

/** Is the record's signature field mapped as setup makes it (a keyword left out of `_source`)? */
export const recordKeyMapped = (mappingResponse: unknown, keyField: string): boolean => mappedOutOfSource(mappingResponse, keyField, 'keyword');

/** The pipeline's vector fields that `have` (an index's `properties`) maps with another type or size, described. */
function vectorClashes(p: Pipeline, dialect: Dialect, have: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const v of [p.vectors.image, p.vectors.bridge]) {
    if (!v) continue;
    const m = fieldAt({ properties: have }, v.field) as { type?: string; dims?: number; dimension?: number; data_type?: string; element_type?: string } | undefined;
    if (m === undefined) continue; // missing: setup adds it
    const want = vectorMapping(v.dims, v.similarity, dialect) as { type: string };
    const dims = m.dims ?? m.dimension;
    // vlrerank writes float vectors: a byte or binary field (OpenSearch `data_type`, Elasticsearch
    // `element_type`) refuses every one of them (held-out probe round 11c: setup said "updated")
    const element = String(m.data_type ?? m.element_type ?? 'float').toLowerCase();
    // a dense_vector left out of the kNN index: every kNN first stage is Elasticsearch's 400
    if (m.type === want.type && (m as { index?: unknown }).index === false) {
      out.push(`[${v.field}] as ${m.type} with index: false (no kNN search on it) where the pipeline searches it by kNN`);
      continue;
    }
    if (m.type !== want.type || (dims !== undefined && dims !== v.dims) || element !== 'float') {
      const of = element !== 'float' ? ` of ${element} elements` : '';
      out.push(`[${v.field}] as ${m.type ?? 'an object'}${dims !== undefined ? ` of ${dims} dims` : ''}${of} where the pipeline writes ${want.type} of ${v.dims} dims${of ? ' of float elements' : ''}`);
    }
  }
  return out;
}

/**
 * Why writes of vectors to `index` would all be refused: `have` (its properties) maps one of the
 * pipeline's vector fields with another type or size (`vectorClashes`); undefined when they fit.
 * Said before writing anything, by `index setup` and by backfill (`vectorsFitIndex`).
 */
function vectorsMisfit(pipeline: Pipeline, dialect: Dialect, index: string, have: Record<string, unknown>): VlrerankError | undefined {
  const clash = vectorClashes(pipeline, dialect, have);
  if (!clash.length) return undefined;
  return vlrError('VLR_BAD_REQUEST', `index [${index}] maps ${clash.join('; ')}: every write through vlrerank adds vectors there and would be refused; reindex into an index created by "vlrerank index setup", or name other vector fields in pipeline [${pipeline.name}]`);
}

/**
 * `vectorsMisfit` for the indices of a `GET /{index}/_mapping` answer: backfill into an index
 * mapping a vector at other dims computed its first page before the engine's mapping error stopped it
 * (held-out probe round 29d, left); now it stops before any model work, in setup's words. An alias or
 * a data stream some of whose indices still fit is left to run (their documents can be written).
 */
export async function vectorsFitIndex(engine: Pick<EngineClient, 'info'>, pipeline: Pipeline, index: string, mappingResponse: unknown): Promise<void> {
  if (!pipeline.vectors.image && !pipeline.vectors.bridge) return;
  const entries = Object.entries((mappingResponse ?? {}) as Record<string, { mappings?: { properties?: Record<string, unknown> } }>);
  if (!entries.length) return;
  const { distribution } = await engine.info();
  const misfits = entries.map(([name, m]) => vectorsMisfit(pipeline, distribution, entries.length === 1 ? index : name, m?.mappings?.properties ?? {}));
  if (misfits.every((e) => e !== undefined)) throw misfits[0];
}

/**
 * The pipeline's vector fields that `have` maps with another similarity (OpenSearch's `space_type`,
 * `l2` when not said; Elasticsearch's `similarity`), described. Not refused: the kNN neighbours of
 * the unit vectors vlrerank writes come in the same order under l2, cosine and inner product, but
 * the engine's first-stage scores do not (0.81 under l2 where cosinesimil gives 0.94 for one photo,
 * inner product 1.89), and a blend fusion or a kNN `min_score` reads them (held-out probe round 11c:
 * an index made beforehand with OpenSearch's default space type was set up without a word).
 */
function similarityNotes(p: Pipeline, dialect: Dialect, have: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const v of [p.vectors.image, p.vectors.bridge]) {
    if (!v) continue;
    const m = fieldAt({ properties: have }, v.field) as { type?: string; similarity?: string; index?: boolean; space_type?: string; method?: { space_type?: string } } | undefined;
    const want = vectorMapping(v.dims, v.similarity, dialect) as { type: string; similarity?: string; method?: { space_type?: string } };
    if (!m || m.type !== want.type || m.index === false) continue;
    const got = dialect === 'opensearch' ? (m.method?.space_type ?? m.space_type ?? 'l2') : m.similarity;
    const wanted = dialect === 'opensearch' ? want.method?.space_type : want.similarity;
    if (got === undefined || got === wanted) continue;
    out.push(`[${v.field}] compares vectors by ${got} where pipeline [${p.name}] writes them for ${wanted}: kNN finds the same neighbours, but the first stage's scores differ (a blend fusion and a kNN min_score read them); reindex into an index created by "vlrerank index setup" for the pipeline's scores`);
  }
  return out;
}

/**
 * The pipeline's text and media fields the index's mapping leaves out of `_source` (`excludes`, an
 * `includes` that misses them, `enabled: false`): a search reads each hit's fields from `_source`,
 * so a document without a usable record was reranked without them — on its title alone where the
 * body was excluded — with nothing said (held-out probe round 17b).
 */
function unreadFieldNotes(p: Pipeline, index: string, source: SourceMapping): string[] {
  const includes = source?.includes ?? [];
  const hidden = [...p.fields.text, ...p.fields.image, ...p.fields.video].filter((f) => keptOutOfSource(source, f) || (includes.length > 0 && !includes.some((x) => keptOutOfSource({ excludes: [x] }, f))));
  if (!hidden.length) return [];
  return [`[${index}] leaves [${hidden.join(', ')}] out of _source, which a search reads each hit's fields from: pipeline [${p.name}] reranks such a document from its feature record (made when it was written through vlrerank), else without [${hidden.join(', ')}]; to rerank on them, reindex into an index that keeps them in _source`];
}

/**
 * A name whose next indices the cluster makes from an index template — a data stream (each rollover
 * a backing index), a rollover alias's next `-00000N`, tomorrow's dated index — keeps what setup
 * adds only in the indices there now: the next one comes from the template. Where the composable
 * templates that would create it (`_index_template/_simulate_index`, the stream's name or each
 * index's) do not map the pipeline's fields, say so and give the component template to add (held-out
 * probe round 19b: a data stream set up, rolled over, had every later document stored without
 * vectors, and setup's advice was to reindex "into an index created by vlrerank index setup", which
 * a data stream cannot be). With `write` (`index setup --write-template`) it is written instead
 * (`writeTemplate`).
 */
async function templateNotes(engine: EngineClient, p: Pipeline, dialect: Dialect, index: string, indices: string[], write = false): Promise<string[]> {
  const stream = indices.length > 0 && indices.every((i) => backingIndexOf(i) !== undefined);
  const names = stream ? [index] : indices;
  for (const name of names) {
    const sim = await simulated(engine, name, stream);
    if (!sim) continue; // no composable template makes it (or it may not be read): nothing to say
    const lacking = templateLacks(p, name, sim.template);
    if (!lacking.length) continue;
    const component = templateComponent(p, dialect);
    const what = stream ? `data stream [${index}]'s next backing index (at its next rollover)` : `the next index made like [${name}] (a rollover, the next dated index)`;
    if (write) return [await writeTemplate(engine, p, name, stream, component, what)];
    return [
      `${what} is created from an index template that does not map [${lacking.join(', ')}]: documents written there keep no vectors${p.features.store === 'index' ? ' or feature records' : ''}. Add this component template to that index template's composed_of (PUT _component_template/${componentName(p)}), then roll over — or run "vlrerank index setup --write-template", which does both but the rollover: ${JSON.stringify(component)}`,
    ];
  }
  return [];
}

type Simulated = { template?: { mappings?: IndexMappings } };

/** What the composable templates would make `name` with, and which template that is (a data stream's, by name). */
async function simulated(engine: EngineClient, name: string, stream: boolean): Promise<{ template: NonNullable<Simulated['template']>; streamTemplate?: string } | undefined> {
  let sim = await engine.json<Simulated>('POST', `/_index_template/_simulate_index/${encodeURIComponent(name)}`);
  let streamTemplate: string | undefined;
  if (stream && sim.statusCode !== 200) {
    // OpenSearch refuses to simulate a name a data stream has ("names need to be unique"): its template, by name
    streamTemplate = await dataStreamTemplate(engine, name);
    if (streamTemplate) sim = await engine.json<Simulated>('POST', `/_index_template/_simulate/${encodeURIComponent(streamTemplate)}`);
  }
  const template = sim.statusCode === 200 ? sim.body?.template : undefined;
  return template ? { template, ...(streamTemplate ? { streamTemplate } : {}) } : undefined;
}

async function dataStreamTemplate(engine: EngineClient, name: string): Promise<string | undefined> {
  const ds = await engine.json<{ data_streams?: Array<{ template?: string }> }>('GET', `/_data_stream/${encodeURIComponent(name)}`);
  return ds.statusCode === 200 ? ds.body?.data_streams?.[0]?.template : undefined;
}

/** The pipeline's fields a simulated template's mapping lacks (vectors, the record field). */
function templateLacks(p: Pipeline, name: string, template: NonNullable<Simulated['template']>): string[] {
  const answer = { [name]: { mappings: template.mappings ?? {} } };
  const field = p.features.store === 'index' ? p.features.field : undefined;
  return [...unmappedVectorFields(answer, p), ...(field && !recordFieldMapped(answer, field) ? [field] : [])];
}

const componentName = (p: Pipeline) => `${p.name}-vlrerank`;

/** The component template that maps the pipeline's fields as `index setup` maps a new index. */
function templateComponent(p: Pipeline, dialect: Dialect): Record<string, unknown> {
  const source = sourceMapping(p);
  const settings = dialect === 'opensearch' && (p.vectors.image || p.vectors.bridge) ? { settings: { 'index.knn': true } } : {};
  return { template: { ...settings, mappings: { ...(source ? { _source: source } : {}), properties: pipelineProperties(p, dialect) } } };
}

/**
 * `index setup --write-template` (round 19b's advice, done; fix21b): PUT the component template
 * `<pipeline>-vlrerank` and add it last to the `composed_of` of the index template that makes `name`'s
 * next index — a data stream's own template, else the highest-`priority` composable template whose
 * `index_patterns` match (as the engine chooses). The index template is read and PUT back whole with
 * that one change (no engine offers a conditional write of templates: an edit by someone else in
 * between is lost). Then simulated again: where the template's own `template.mappings` still hides a
 * field (its own mapping wins over any component), it is said, not hidden. Refused, with what to do,
 * when the template is the engine's own (`_meta.managed: true`: an upgrade puts it back) or none can
 * be told. Indices made already are not changed: the next rollover makes one that maps the fields.
 */
async function writeTemplate(engine: EngineClient, p: Pipeline, name: string, stream: boolean, component: Record<string, unknown>, what: string): Promise<string> {
  const cname = componentName(p);
  type Tpl = { index_patterns?: string[]; priority?: number; composed_of?: string[]; data_stream?: unknown; _meta?: { managed?: boolean } };
  const list = await engine.json<{ index_templates?: Array<{ name: string; index_template: Tpl }> }>('GET', '/_index_template');
  if (list.statusCode !== 200) throw vlrError('VLR_UPSTREAM_ERROR', `reading the index templates failed (${list.statusCode}): ${JSON.stringify(list.body).slice(0, 300)}`, { status: list.statusCode });
  const all = list.body?.index_templates ?? [];
  const byName = stream ? await dataStreamTemplate(engine, name) : undefined;
  const chosen = byName
    ? all.find((t) => t.name === byName)
    : all.filter((t) => (t.index_template.index_patterns ?? []).some((x) => globMatches(x, name)) && !t.index_template.data_stream).sort((a, b) => (b.index_template.priority ?? 0) - (a.index_template.priority ?? 0))[0];
  const manual = `add this component template to the composed_of of the index template that makes it (PUT _component_template/${cname}), then roll over: ${JSON.stringify(component)}`;
  if (!chosen) throw vlrError('VLR_BAD_REQUEST', `--write-template: no composable index template matching [${name}] could be told apart; ${manual}`);
  const tpl = chosen.index_template;
  if (tpl._meta?.managed === true) throw vlrError('VLR_BAD_REQUEST', `--write-template: index template [${chosen.name}] is the engine's own (_meta.managed: true; an upgrade would put it back): not changed. Make a template of your own with a higher priority for [${name}] composed of ${cname}, or ${manual}`);
  const put = await engine.json('PUT', `/_component_template/${encodeURIComponent(cname)}`, component);
  if (put.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `writing component template [${cname}] failed: ${JSON.stringify(put.body).slice(0, 500)}`, { status: put.statusCode });
  const composed = tpl.composed_of ?? [];
  if (!composed.includes(cname)) {
    const r = await engine.json('PUT', `/_index_template/${encodeURIComponent(chosen.name)}`, { ...tpl, composed_of: [...composed, cname] });
    if (r.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `adding [${cname}] to index template [${chosen.name}]'s composed_of failed (component template ${cname} was written): ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode });
  }
  const after = await simulated(engine, name, stream);
  const still = after ? templateLacks(p, name, after.template) : [];
  if (still.length) throw vlrError('VLR_BAD_REQUEST', `--write-template: component template [${cname}] was added to index template [${chosen.name}], but its own template mapping still leaves [${still.join(', ')}] unmapped as vlrerank maps them (an index template's own mapping wins over its components): change or remove them there`);
  return `wrote component template [${cname}] and added it to the composed_of of index template [${chosen.name}]: ${what} will map the pipeline's fields — roll over to use it now`;
}

/** The pipeline's kNN vector fields. */
function vectorFields(p: Pipeline): string[] {
  return [p.vectors.image, p.vectors.bridge].flatMap((v) => (v ? [v.field] : []));
}

/** `writeTemplate`: also write the component template an index template lacks (see `writeTemplate`). */
export async function setupIndex(engine: EngineClient, pipeline: Pipeline, index: string, o: { writeTemplate?: boolean } = {}): Promise<SetupResult> {
  const { distribution: dialect } = await engine.info();
  const properties = pipelineProperties(pipeline, dialect);
  const exists = await engine.json('HEAD', `/${encodeURIComponent(index)}`);
  if (exists.statusCode === 404) {
    const settings: Record<string, unknown> = {};
    if (dialect === 'opensearch' && (pipeline.vectors.image || pipeline.vectors.bridge)) settings['index.knn'] = true;
    const source = sourceMapping(pipeline);
    const body = { settings, mappings: { ...(source ? { _source: source } : {}), properties } };
    const r = await engine.json('PUT', `/${encodeURIComponent(index)}`, body);
    if (r.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `creating index [${index}] failed: ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode });
    const notes = dialect === 'elasticsearch' ? await rescoreQuantisedVectors(engine, index, vectorFields(pipeline)) : [];
    return { index, action: 'created', dialect, mapping: body, ...(notes.length ? { notes } : {}) };
  }
  // existing index: add only the fields it does not have (a mapping cannot change a field's type)
  const cur = await engine.json<Record<string, { mappings?: { properties?: Record<string, unknown>; _source?: SourceMapping } }>>('GET', `/${encodeURIComponent(index)}/_mapping`);
  const curMappings = Object.values(cur.body ?? {})[0]?.mappings;
  const have = curMappings?.properties ?? {};
  // a vector field the index already maps otherwise (another type or size): every write through
  // the proxy, which adds vectors there, would be refused by the engine — say so now, not at the
  // first write (held-out probe round 7: setup answered "updated", exit 0)
  const misfit = vectorsMisfit(pipeline, dialect, index, have);
  if (misfit) throw misfit;
  const missing = Object.fromEntries(Object.entries(properties).filter(([k]) => !Object.hasOwn(have, k)));
  // the pipeline's kNN fields, added now or already there: without `index.knn` OpenSearch builds no
  // graph for them and every kNN first stage is its 400 "not built for ANN search" (held-out probe
  // round 11c: an index made beforehand with knn_vector fields but no index.knn was "updated")
  if (dialect === 'opensearch' && (pipeline.vectors.image || pipeline.vectors.bridge)) {
    const s = await engine.json<Record<string, { settings?: { index?: { knn?: string } } }>>('GET', `/${encodeURIComponent(index)}/_settings`);
    if (Object.values(s.body ?? {})[0]?.settings?.index?.knn !== 'true') {
      // a data stream or a templated name cannot be reindexed "into an index made by setup": its next index comes from the template
      const tpl = await templateNotes(engine, pipeline, dialect, index, Object.keys(cur.body ?? {}), o.writeTemplate);
      throw vlrError('VLR_BAD_REQUEST', `index [${index}] exists without index.knn: true, which OpenSearch only sets at creation; ${tpl.length ? tpl[0] : 'reindex into a new index created by "vlrerank index setup"'}`);
    }
  }
  // The record field needs `_source.excludes`, which no engine lets an existing index change
  // ("Cannot update parameter [excludes]"): without it, records would show in every client's
  // `_source`, so an old index gets no record field (ingest then adds none, searches compute).
  const notes: string[] = similarityNotes(pipeline, dialect, have);
  const field = pipeline.features.store === 'index' ? pipeline.features.field : undefined;
  if (field && field in missing && !keptOutOfSource(curMappings?._source, field)) {
    delete missing[field];
    notes.push(`feature records are not kept in [${index}]: it was created without [_source.excludes: ${field}], which only index creation can set; reindex into an index created by "vlrerank index setup" to keep them`);
  }
  // the record field there already, mapped otherwise (a template's bare `binary`, a keyword): no
  // record is kept, ingest adds none — say so rather than answer "updated" alone (held-out probe round 11a)
  if (field && curMappings && fieldAt(curMappings, field) !== undefined && !recordFieldMapped({ [index]: { mappings: curMappings } }, field)) {
    notes.push(`feature records are not kept in [${index}]: it maps [${field}] otherwise than a binary field with store: true left out of _source; reindex into an index created by "vlrerank index setup" to keep them`);
  }
  // the same for the signature beside the record: kept out of `_source` or not added at all
  // (backfill then reads each record to tell a stale one, instead of one `term` query)
  const keyField = pipeline.features.store === 'index' ? pipeline.features.keyField : undefined;
  if (keyField && keyField in missing && !keptOutOfSource(curMappings?._source, keyField)) {
    delete missing[keyField];
    notes.push(`record signatures are not kept in [${index}]: it was created without [_source.excludes: ${keyField}]; backfill reads each document's record to find stale ones instead`);
  }
  notes.push(...unreadFieldNotes(pipeline, index, curMappings?._source));
  if (dialect === 'elasticsearch') notes.push(...(await rescoreQuantisedVectors(engine, index, vectorFields(pipeline).filter((f) => !Object.hasOwn(missing, f.split('.')[0]!)), false)));
  notes.push(...(await templateNotes(engine, pipeline, dialect, index, Object.keys(cur.body ?? {}), o.writeTemplate)));
  if (Object.keys(missing).length) {
    const r = await engine.json('PUT', `/${encodeURIComponent(index)}/_mapping`, { properties: missing });
    if (r.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `updating the mapping of [${index}] failed: ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode });
    if (dialect === 'elasticsearch') notes.push(...(await rescoreQuantisedVectors(engine, index, vectorFields(pipeline).filter((f) => Object.hasOwn(missing, f.split('.')[0]!)))));
  }
  return { index, action: 'updated', dialect, mapping: { properties: missing }, ...(notes.length ? { notes } : {}) };
}

/**
 * Where ingest reads each of `paths` (a pipeline's fields, named as the mapping names them) that is
 * not a key a written document holds: a field alias → its `path`; a multi-field (`title.keyword`) →
 * its parent (`title`); a `copy_to` target → the fields that copy to it, in mapping order (as the
 * search's `fields` API shows the target). The first index of the answer that resolves a path
 * decides (an alias or a data stream: its indices share the pipeline's mapping). Paths that are plain
 * fields without `copy_to` sources, or not mapped, are left out. The search reads such fields
 * through the engine (search/field-values.ts); without this, ingest read nothing of them (held-out
 * probe round 20b, fix20c).
 */
export function fieldSources(mappingResponse: unknown, paths: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of indexMappings(mappingResponse)) {
    if (!m?.properties) continue;
    const copies = new Map<string, string[]>();
    const walk = (props: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(props ?? {})) {
        const f = v as { properties?: Record<string, unknown>; copy_to?: string | string[] };
        const name = prefix + k;
        for (const t of f?.copy_to === undefined ? [] : [f.copy_to].flat()) copies.set(t, [...(copies.get(t) ?? []), name]);
        if (f?.properties) walk(f.properties, `${name}.`);
      }
    };
    walk(m.properties, '');
    for (const path of paths) {
      if (out.has(path)) continue;
      const sources = copies.get(path);
      if (sources) {
        out.set(path, sources);
        continue;
      }
      type Field = { properties?: Record<string, unknown>; fields?: Record<string, unknown>; type?: string; path?: string };
      let cur: Field | undefined = { properties: m.properties };
      const parts = path.split('.');
      for (const [i, k] of parts.entries()) {
        const next = cur?.properties?.[k] as Field | undefined;
        if (next === undefined && cur?.fields?.[k] !== undefined && i === parts.length - 1 && i > 0) {
          out.set(path, [parts.slice(0, i).join('.')]);
          cur = undefined;
          break;
        }
        cur = next;
      }
      if (cur?.type === 'alias' && typeof cur.path === 'string') out.set(path, [cur.path]);
    }
  }
  return out;
}

/**
 * Those of `paths` that no index of a `GET /{name}/_mapping` answer maps — not a field of its
 * `properties`, nor a field alias, a multi-field or a `copy_to` target (`fieldSources`): ingest can
 * read nothing of them (a runtime field is computed at search only).
 */
export function unmappedFields(mappingResponse: unknown, paths: readonly string[]): string[] {
  const all = indexMappings(mappingResponse);
  const resolved = fieldSources(mappingResponse, paths);
  return all.length ? paths.filter((p) => !resolved.has(p) && all.every((m) => !m || fieldAt(m, p) === undefined)) : [];
}
