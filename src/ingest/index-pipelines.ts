/**
 * The engine ingest pipelines a write into an index runs without naming them: the index's
 * `index.default_pipeline` and `index.final_pipeline` (engine-pipeline.ts simulates them). The
 * common production setup sets them on the index or its template and clients send plain documents:
 * not simulated, such a document got the vectors and the record of the document as sent, not as
 * stored (held-out probe round 22c, Known gaps; fix23p).
 *
 * Read with the client's own credentials: `GET /{index}/_settings/index.default_pipeline,
 * index.final_pipeline?flat_settings=true`; for a name that is no index yet (the write creates it),
 * the settings its matching templates give it — `POST /_index_template/_simulate_index/{name}`,
 * one call on Elasticsearch 8.19/9.2 and OpenSearch 2.19/3.6 alike. Kept `ttlMs` per name and
 * credentials (a `_bulk` asks once per index, never per document) and all forgotten when the proxy
 * sees a write that may change them go through (`changesIndexPipelines`). An answer that cannot be
 * had (a 403, a 5xx, no answer) counts as no pipelines — documents are read as sent, as before —
 * and is kept a second at most.
 */
import { LRUCache } from 'lru-cache';
import type { UpstreamPool } from '../proxy/pool.js';
import { aliasWriteIndex, backingIndexOf, clientReadHeaders, credentialsKey } from '../engine/targets.js';
import { isObject } from '../util/is-object.js';

/** The pipelines an index runs by itself (`_none` or unset: undefined). */
export interface IndexPipelineSettings {
  default?: string;
  final?: string;
}

export interface SettingsVia {
  pool: Pick<UpstreamPool, 'request'>;
  /** The client's raw headers (its credentials are read from them). */
  headers: readonly string[];
  signal?: AbortSignal;
}

const NONE: IndexPipelineSettings = Object.freeze({});
type Json = Record<string, unknown>;
const named = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '_none' ? v : undefined);

function settingsOf(flat: unknown): IndexPipelineSettings {
  if (!isObject(flat)) return NONE;
  const d = named(flat['index.default_pipeline']);
  const f = named(flat['index.final_pipeline']);
  return d || f ? { ...(d ? { default: d } : {}), ...(f ? { final: f } : {}) } : NONE;
}

async function get(o: SettingsVia, method: string, path: string): Promise<{ status: number; body?: unknown }> {
  const up = await o.pool.request({ method, path, headers: clientReadHeaders(o.headers), signal: o.signal, idempotent: true });
  const text = await up.body.text();
  if (up.statusCode !== 200) return { status: up.statusCode };
  return { status: 200, body: JSON.parse(text) as unknown };
}

/**
 * An index's pipelines from the engine (undefined: it would not say). A name several indices answer
 * for (an alias, a data stream): their settings when all agree, else those of the index a write lands
 * in — a data stream's newest backing index, an alias's write index (`GET /_alias/{name}`).
 */
export async function readIndexPipelines(o: SettingsVia, index: string): Promise<IndexPipelineSettings | undefined> {
  const enc = encodeURIComponent(index);
  const own = await get(o, 'GET', `/${enc}/_settings/index.default_pipeline,index.final_pipeline?flat_settings=true`);
  if (own.status === 200 && isObject(own.body)) {
    const names = Object.keys(own.body);
    const each = names.map((n) => settingsOf((own.body as Record<string, Json>)[n]?.settings));
    const first = JSON.stringify(each[0]);
    if (each.every((s) => JSON.stringify(s) === first)) return each[0] ?? NONE;
    const backing = names.map(backingIndexOf);
    if (backing.every((b) => b !== undefined)) return each[backing.reduce((best, b, i) => (b!.generation > backing[best]!.generation ? i : best), 0)];
    const al = await get(o, 'GET', `/_alias/${enc}`);
    const writer = al.status === 200 ? aliasWriteIndex(al.body, index) : undefined;
    return writer !== undefined && names.includes(writer) ? each[names.indexOf(writer)] : undefined;
  }
  if (own.status !== 404) return undefined;
  // no such index: the write creates it from its templates (legacy templates are not simulated: Known gaps)
  const sim = await get(o, 'POST', `/_index_template/_simulate_index/${enc}`);
  if (sim.status !== 200 || !isObject(sim.body)) return sim.status === 404 ? NONE : undefined;
  const settings = (sim.body as { template?: { settings?: unknown } }).template?.settings;
  const index_ = isObject(settings) && isObject(settings.index) ? settings.index : undefined;
  return settingsOf(index_ ? { 'index.default_pipeline': index_.default_pipeline, 'index.final_pipeline': index_.final_pipeline } : settings);
}

/** An answer not had is kept this long at most: a `_bulk` into an index whose settings cannot be read asks about once a second, not per document. */
const UNKNOWN_TTL_MS = 1_000;

/** Indices' pipelines kept briefly (see the header). */
export class IndexPipelines {
  readonly #kept: LRUCache<string, Promise<IndexPipelineSettings | undefined>> | undefined;

  constructor(
    readonly ttlMs = 10_000,
    max = 1_024,
    private readonly read: (o: SettingsVia, index: string) => Promise<IndexPipelineSettings | undefined> = readIndexPipelines,
  ) {
    this.#kept = ttlMs > 0 ? new LRUCache({ max, ttl: ttlMs, ttlResolution: 0 }) : undefined;
  }

  /** The pipelines a write into `index` runs by itself; undefined when the engine would not say. */
  of(index: string, o: SettingsVia): Promise<IndexPipelineSettings | undefined> {
    const key = `${credentialsKey(o.headers)}\u0000${index}`;
    const kept = this.#kept?.get(key);
    if (kept) return kept;
    // shared by every write that asks meanwhile: not cut by the one client's leaving that began it
    const p = this.read({ pool: o.pool, headers: o.headers }, index).catch(() => undefined);
    this.#kept?.set(key, p);
    // an answer not had is kept briefly: a passing fault is asked again soon
    void p.then((s) => s === undefined && this.#kept?.get(key) === p && this.#kept.set(key, p, { ttl: Math.min(UNKNOWN_TTL_MS, this.ttlMs) }));
    return p;
  }

  /** Forget every kept answer: a write that may change them went through. */
  forget(): void {
    this.#kept?.clear();
  }
}

/**
 * Does this request (not a read) change which pipelines some index runs by itself — its settings,
 * a template, an index created, deleted, rolled over or an alias moved? The settings are then read
 * again at the next write (a cheap test: only the path's words are looked at).
 */
const CHANGES = /(?:^|\/)(?:_settings|_index_template|_template|_component_template|_data_stream|_rollover|_aliases|_alias|_open|_close|_clone|_shrink|_split)(?:[/?]|$)/;
export function changesIndexPipelines(method: string | undefined, url: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === undefined) return false;
  const path = url.split('?', 1)[0]!;
  if (path.includes('/_simulate')) return false;
  // `PUT /{index}`, `DELETE /{index}`: an index created or deleted by name
  if ((method === 'PUT' || method === 'DELETE') && /^\/[^/_][^/]*\/?$/.test(path)) return true;
  return CHANGES.test(path);
}
