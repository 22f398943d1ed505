/**
 * OpenSearch's `index.search.default_pipeline` naming a vlrerank pipeline. The engine accepts any
 * name there and then refuses every search of the index that names no pipeline with its 400
 * `Pipeline <name> is not defined` (held-out probe round 33a): vlrerank pipelines are not the
 * engine's. Such an index is served as if the pipeline's `index_patterns` covered it and the
 * pipeline were a default one, its first stage asked with `search_pipeline=_none`.
 *
 * Learnt from that very refusal, never read beforehand: a search the engine answers is not slowed
 * by a settings read. What was learnt (index expression → pipeline) is kept `pipelines.aliasCacheMs`
 * (bounded), so the next searches skip the refused round trip, and forgotten when a settings,
 * template or index write goes through vlrerank. The setting itself stays on the engine (its
 * `GET _settings`, snapshots and templates keep it).
 */
import { clientReadHeaders } from '../engine/targets.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { isObject } from '../util/is-object.js';
import type { PipelineRegistry } from '../pipelines/index.js';
import { storedName, type SearchPipelineAliases } from '../engine/search-pipelines.js';
import { withDocumentFields } from './detect.js';

const KEPT = 4096;
const REFUSAL = /^Pipeline (.+) is not defined$/;

export class SearchDefaults {
  readonly #ms: number;
  readonly #kept = new Map<string, { pipeline: string; until: number }>();

  constructor(ms: number) {
    this.#ms = ms;
  }

  #seen = false;

  /**
   * Was any index learnt, or an engine's `_msearch` answer seen refusing an item so (`suspect`)? From
   * then on an `_msearch` is read item by item and its plain items' answers read (msearch.ts): an item
   * refused so is learnt from and asked again. Kept across `forget` and expiry: an `_msearch` forwarded
   * untouched could no longer learn (its 200 is never held back).
   */
  get any(): boolean {
    return this.#seen;
  }

  suspect(): void {
    if (this.#ms > 0) this.#seen = true;
  }

  /** The vlrerank pipeline the index's `index.search.default_pipeline` was learnt to name, if kept. */
  get(index: string | undefined): string | undefined {
    if (!this.#kept.size) return undefined; // the usual case: one size read per search
    const key = index ?? '_all';
    const e = this.#kept.get(key);
    if (!e) return undefined;
    if (e.until > Date.now()) return e.pipeline;
    this.#kept.delete(key);
    return undefined;
  }

  learn(index: string | undefined, pipeline: string): void {
    if (this.#ms <= 0) return;
    this.#seen = true;
    if (this.#kept.size >= KEPT) this.#kept.clear(); // index names come from clients: bounded
    this.#kept.set(index ?? '_all', { pipeline, until: Date.now() + this.#ms });
  }

  forget(): void {
    this.#kept.clear();
  }
}

/** The vlrerank pipeline the index's `index.search.default_pipeline` was learnt to name, if it is still one. */
export function searchDefaultOf(deps: { pipelines: PipelineRegistry; searchDefaults?: SearchDefaults; searchPipelines?: SearchPipelineAliases }, index: string | undefined) {
  const name = deps.searchDefaults?.get(index);
  if (name === undefined) return undefined;
  const own = deps.pipelines.get(name);
  if (own) return own;
  // a cluster search pipeline of that name reranking with a vlrerank one (engine/search-pipelines.ts, held-out probe round 34b)
  const alias = deps.searchPipelines?.get(name);
  const p = alias ? deps.pipelines.get(alias.pipeline) : undefined;
  return p ? (Object.freeze({ ...withDocumentFields(p, alias!.documentFields), [STORED]: storedName(name) }) as typeof p) : undefined;
}

/** The engine pipeline a default pipeline's first stage and forwards name in place of `_none` (searchDefaultOf). */
const STORED = Symbol('stored search pipeline');
export const storedOf = (p: object | undefined): string | undefined => (p as { [STORED]?: string } | undefined)?.[STORED];

/**
 * The pipeline an engine's 400 says is not defined (`Pipeline <name> is not defined`), when `isOurs`
 * says it is a vlrerank pipeline; else undefined. `body`: the engine's answer, bytes or parsed.
 */
export function undefinedPipeline(status: number, body: unknown, isOurs: (name: string) => boolean): string | undefined {
  if (status !== 400) return undefined;
  let value = body;
  if (Buffer.isBuffer(body)) {
    if (body.length > 4096) return undefined;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
  }
  const err = isObject(value) ? value.error : undefined;
  const reason = isObject(err) && typeof err.reason === 'string' ? err.reason : undefined;
  const name = reason !== undefined ? REFUSAL.exec(reason)?.[1] : undefined;
  return name !== undefined && isOurs(name) ? name : undefined;
}

/**
 * The vlrerank pipeline an index's `index.search.default_pipeline` names, read from the engine with
 * the client's credentials (undefined: none, not one of `isOurs`, indices that disagree, or the engine
 * would not say). Asked only where vlrerank would otherwise refuse the search itself (`ext.vlrerank`
 * on an index no pattern covers): the engine was never asked, so no refusal of its own taught it.
 */
export async function readSearchDefault(pool: Pick<UpstreamPool, 'request'>, headers: readonly string[], index: string, isOurs: (name: string) => boolean, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const up = await pool.request({ method: 'GET', path: `/${encodeURIComponent(index)}/_settings/index.search.default_pipeline?flat_settings=true`, headers: clientReadHeaders(headers), signal, idempotent: true });
    const text = await up.body.text();
    if (up.statusCode !== 200) return undefined;
    const all = JSON.parse(text) as unknown;
    if (!isObject(all)) return undefined;
    const names = new Set(Object.values(all).map((v) => (isObject(v) && isObject(v.settings) ? v.settings['index.search.default_pipeline'] : undefined)));
    const [name] = names;
    return names.size === 1 && typeof name === 'string' && isOurs(name) ? name : undefined;
  } catch {
    return undefined; // the search's own refusal stands
  }
}
