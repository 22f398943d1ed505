/**
 * OpenSearch's reranking tutorial with a vlrerank pipeline as the model: a cluster search pipeline
 * (`PUT /_search/pipeline/{name}`) whose response processors hold a `rerank` processor with
 * `ml_opensearch.model_id` naming a vlrerank pipeline (held-out probe round 34b). The engines here
 * have no neural-search plugin (400 `Invalid processor type rerank`), and one that had it would call
 * its own ml-commons, never the proxy: that processor is vlrerank's to run.
 *
 * The definition stays **in the cluster**, under a companion name (storedName: `.vlrerank-rerank.{name}`):
 * the same pipeline without that processor — its other processors run there, on the first stage —
 * and the client's definition, whole, in its `description` behind MARK (any vlrerank node, after
 * any restart, reads it back; snapshots keep it). `GET /_search/pipeline` through vlrerank shows the
 * client's definition under the client's name. Not under the name itself: the engine would then run
 * the pipeline without its rerank wherever vlrerank does not serve the search (the index's
 * `index.search.default_pipeline`, an `_msearch` item, a client going to the engine directly) — a
 * 200 silently not reranked. The engine instead refuses those with its 400 `Pipeline {name} is not
 * defined`, as it does a vlrerank pipeline's own name, and vlrerank learns an index's default from
 * that refusal (search/search-defaults.ts, round 33a).
 * What a name stands for is learnt lazily: at that PUT, at a GET, or at the first search naming an
 * unknown `search_pipeline` or refused for one (one `GET _search/pipeline/.vlrerank-rerank.{name}`,
 * kept `pipelines.aliasCacheMs`, a name of no such pipeline kept as such too). Never a read on a
 * search naming no pipeline that the engine answers: plain passthrough is not slowed.
 *
 * Response processors placed after the rerank cannot run after vlrerank's rerank (the engine answers
 * the first stage before vlrerank reranks): the PUT is refused with a 400 saying so. `by_field` (no
 * model) and a model_id that is no vlrerank pipeline stay the engine's.
 */
import { vlrError } from '../errors.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { isObject } from '../util/is-object.js';
import { clientReadHeaders } from './targets.js';

/** The engine-stored description's prefix; the client's definition follows as JSON. */
export const MARK = 'vlrerank rerank processor, client definition: ';

/** The prefix of the name the engine stores a client's pipeline under (a leading dot: no client wildcard like `my*` matches it). */
export const STORED_PREFIX = '.vlrerank-rerank.';

/** The name the engine keeps the pipeline `name` under. */
export const storedName = (name: string): string => STORED_PREFIX + name;

/** What a cluster search pipeline's rerank processor names: the vlrerank pipeline, the fields scored. */
export interface RerankAlias {
  pipeline: string;
  /** `context.document_fields`: the text fields the processor scores. */
  documentFields?: string[];
}

const RERANK_KEYS = new Set(['ml_opensearch', 'context', 'tag', 'description', 'ignore_failure']);

function bad(field: string, reason: string): never {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${reason}`, { details: { field } });
}

/**
 * The definition to store on the engine in place of the client's, and what its rerank processor
 * names — or undefined when it holds no rerank processor naming a vlrerank pipeline (the engine's to
 * answer as sent). A processor vlrerank cannot honour is a 400 naming it.
 */
export function splitDefinition(def: unknown, isOurs: (name: string) => boolean): { stored: Record<string, unknown>; alias: RerankAlias } | undefined {
  if (!isObject(def) || !Array.isArray(def.response_processors)) return undefined;
  const procs = def.response_processors as unknown[];
  const ours = procs.flatMap((p, i) => {
    const r = isObject(p) ? p.rerank : undefined;
    const ml = isObject(r) ? r.ml_opensearch : undefined;
    return isObject(ml) && typeof ml.model_id === 'string' && isOurs(ml.model_id) ? [i] : [];
  });
  if (!ours.length) return undefined;
  if (ours.length > 1) bad('response_processors', `holds ${ours.length} rerank processors naming vlrerank pipelines; a search is reranked once, by one`);
  const at = ours[0]!;
  const where = `response_processors.${at}.rerank`;
  const p = procs[at] as Record<string, unknown>;
  if (Object.keys(p).length !== 1) bad(`response_processors.${at}`, 'must hold one processor');
  const r = p.rerank as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!RERANK_KEYS.has(k)) bad(`${where}.${k}`, 'is not a parameter of the rerank processor');
  const ml = r.ml_opensearch as Record<string, unknown>;
  for (const k of Object.keys(ml)) if (k !== 'model_id') bad(`${where}.ml_opensearch.${k}`, 'is not a parameter of ml_opensearch (model_id names the vlrerank pipeline)');
  let documentFields: string[] | undefined;
  if (r.context !== undefined) {
    if (!isObject(r.context)) bad(`${where}.context`, 'must be an object with document_fields');
    for (const k of Object.keys(r.context)) if (k !== 'document_fields') bad(`${where}.context.${k}`, 'is not a parameter of the rerank context (document_fields)');
    const f = r.context.document_fields;
    if (f !== undefined) {
      if (!Array.isArray(f) || !f.length || !f.every((x) => typeof x === 'string' && x.trim() !== '')) bad(`${where}.context.document_fields`, 'must be a non-empty list of field names');
      documentFields = [...new Set(f as string[])];
    }
  }
  // vlrerank reranks the engine's answer: a response processor after the rerank would have to run
  // on the reranked hits, which the engine never sees
  if (at < procs.length - 1) {
    const next = isObject(procs[at + 1]) ? Object.keys(procs[at + 1] as object)[0] : undefined;
    bad(`response_processors.${at + 1}`, `[${next}] comes after the rerank naming vlrerank pipeline [${ml.model_id as string}]: vlrerank reranks the engine's answer, after every response processor the engine runs; put it before the rerank (it then runs on the first-stage hits) or leave it out`);
  }
  const stored: Record<string, unknown> = { ...def, description: MARK + JSON.stringify(def), response_processors: procs.filter((_, i) => i !== at) };
  return { stored, alias: { pipeline: ml.model_id as string, ...(documentFields ? { documentFields } : {}) } };
}

/** The client's definition kept in an engine-stored one (MARK), or undefined for any other. */
export function clientDefinition(stored: unknown): Record<string, unknown> | undefined {
  if (!isObject(stored) || typeof stored.description !== 'string' || !stored.description.startsWith(MARK)) return undefined;
  try {
    const def = JSON.parse(stored.description.slice(MARK.length)) as unknown;
    return isObject(def) ? def : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the rerank processor of a client's definition names (validated when it was stored; a
 * vlrerank pipeline removed since is still named, and the search refused naming it, not answered unreranked).
 */
function aliasOf(def: Record<string, unknown>): RerankAlias | undefined {
  try {
    return splitDefinition(def, () => true)?.alias;
  } catch {
    return undefined;
  }
}

/**
 * `GET /_search/pipeline[/{names}]`'s answer with each engine-stored definition replaced by the
 * client's; `seen`: each name's alias (null: a pipeline that is not vlrerank's). Undefined: nothing to replace.
 */
export function restoreDefinitions(answer: unknown, seen?: (name: string, alias: RerankAlias | null) => void): Record<string, unknown> | undefined {
  if (!isObject(answer)) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [key, stored] of Object.entries(answer)) {
    const def = key.startsWith(STORED_PREFIX) ? clientDefinition(stored) : undefined;
    if (!def) {
      // a pipeline of the engine's own under that name (the stored one, if any, is listed apart)
      if (!key.startsWith(STORED_PREFIX) && !Object.hasOwn(answer, storedName(key))) seen?.(key, null);
      continue;
    }
    const name = key.slice(STORED_PREFIX.length);
    seen?.(name, aliasOf(def) ?? null);
    out ??= Object.fromEntries(Object.entries(answer).filter(([k]) => !k.startsWith(STORED_PREFIX) || !clientDefinition(answer[k])));
    out[name] = def;
  }
  return out;
}

const KEPT = 4096;

/** Cluster search pipeline name → what its rerank processor names (null: none of vlrerank's), kept `ms`. */
export class SearchPipelineAliases {
  readonly #ms: number;
  readonly #kept = new Map<string, { alias: RerankAlias | null; until: number }>();

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** undefined: not known (or no longer kept); null: not a vlrerank rerank. */
  get(name: string): RerankAlias | null | undefined {
    const e = this.#kept.get(name);
    if (!e) return undefined;
    if (e.until > Date.now()) return e.alias;
    this.#kept.delete(name);
    return undefined;
  }

  learn(name: string, alias: RerankAlias | null): void {
    if (this.#ms <= 0) return;
    if (this.#kept.size >= KEPT) this.#kept.clear(); // names come from clients: bounded
    this.#kept.set(name, { alias, until: Date.now() + this.#ms });
  }

  forget(): void {
    this.#kept.clear();
  }

  /**
   * What `name` stands for, read from the engine with the client's credentials when not kept (one
   * `GET _search/pipeline/{name}`); undefined when the engine would not say (the search goes on as the engine's).
   */
  async lookup(pool: Pick<UpstreamPool, 'request'>, headers: readonly string[], name: string, signal?: AbortSignal): Promise<RerankAlias | null | undefined> {
    const kept = this.get(name);
    if (kept !== undefined) return kept;
    try {
      const up = await pool.request({ method: 'GET', path: `/_search/pipeline/${encodeURIComponent(storedName(name))}`, headers: clientReadHeaders(headers), signal, idempotent: true });
      const text = await up.body.text();
      if (up.statusCode === 404) {
        this.learn(name, null);
        return null;
      }
      if (up.statusCode !== 200) return undefined;
      let alias: RerankAlias | null = null;
      restoreDefinitions(JSON.parse(text), (n, a) => {
        if (n === name) alias = a;
      });
      this.learn(name, alias);
      return alias;
    } catch {
      return undefined;
    }
  }
}
