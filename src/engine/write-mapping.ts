/**
 * The mapping a write to a name lands in, asked of the engine with the client's own credentials:
 * the index's (or, for an alias or a data stream, every index's behind it) `GET /{name}/_mapping`;
 * for a name that is no index yet — the write will create it — the mapping the engine will create
 * it with: the composable index templates that match (`POST /_index_template/_simulate_index/
 * {name}`, on Elasticsearch 8.19/9.2 and OpenSearch 2.19/3.6 alike, a data stream's too), else the
 * legacy templates that match (`GET /_template`, merged by `order` as the engine merges them:
 * simulation leaves them out), else none (every field mapped by guess).
 *
 * Held-out probe round 11a: ingest decided from `_mapping` alone, and a missing index read as
 * "maps nothing" — so the first `_bulk` into a data stream or an index whose template maps the
 * record field stored its documents without records, and a pipeline's vectors written into an index
 * auto-created without them were mapped by guess (every document refused: `mapper [image_vector]
 * cannot be changed from type [float] to [long]`, which the engine directly would have stored).
 * A name behind which several indices stand is judged by the one a write lands in (see
 * `writeIndexOnly`). Answers are in `_mapping`'s shape (`{name: {mappings}}`); nothing here knows about pipelines.
 */
import { LRUCache } from 'lru-cache';
import { vlrError } from '../errors.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { aliasWriteIndex, backingIndexOf, credentialsKey } from './targets.js';
import { engineRefusal, isAuthRefusal, isEngineRefusal } from './auth-refusal.js';
import { globMatches } from '../util/glob.js';
import { isObject } from '../util/is-object.js';

export interface WriteMapping {
  /** A `GET /{index}/_mapping`-shaped answer; undefined when the engine would not say (e.g. templates unreadable to this client). */
  answer: unknown;
  /** Where it comes from: the existing index, the templates a new one will be created from, or nothing (dynamic mapping). */
  from: 'index' | 'template' | 'dynamic' | 'unknown';
}

interface Read {
  pool: Pick<UpstreamPool, 'request'>;
  headers: readonly string[];
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

async function read(o: Read, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const up = await o.pool.request({ method, path, headers: [...o.headers], signal: o.signal, idempotent: true });
  const text = await up.body.text();
  if (up.statusCode >= 500 || up.statusCode === 429) throw vlrError('VLR_UPSTREAM_ERROR', `the engine answered ${up.statusCode}: ${text.slice(0, 200)}`);
  // the client's credentials refused: not a passing fault to read again (auth-refusal.ts)
  if (isAuthRefusal(up.statusCode)) throw engineRefusal(up.statusCode, up.headers, text);
  if (up.statusCode !== 200) return { status: up.statusCode, body: undefined };
  try {
    return { status: 200, body: JSON.parse(text) as unknown };
  } catch {
    throw vlrError('VLR_UPSTREAM_ERROR', `the engine answered 200 with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** A read refused to the client's credentials (403) as an answer that says nothing. */
function unknownWhenRefused(e: unknown): { status: number; body: unknown } {
  if (isEngineRefusal(e) && e.status === 403) return { status: 403, body: undefined };
  throw e;
}

/** Objects merged key by key, `b` over `a` (a later template's mapping over an earlier one's). */
function merged(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? merged(out[k] as Json, v) : v;
  return out;
}


/** The legacy templates' mapping for `name` (lowest `order` first, the higher overriding), or undefined when none matches. */
export function legacyTemplateMapping(templates: unknown, name: string): Json | undefined {
  if (!isObject(templates)) return undefined;
  const matching = Object.values(templates)
    .filter((t): t is Json => isObject(t) && Array.isArray(t.index_patterns) && t.index_patterns.some((p) => typeof p === 'string' && globMatches(p, name)))
    .sort((x, y) => Number(x.order ?? 0) - Number(y.order ?? 0));
  if (!matching.length) return undefined;
  let m: Json = {};
  for (const t of matching) if (isObject(t.mappings)) m = merged(m, isObject(t.mappings._doc) ? t.mappings._doc : t.mappings);
  return m;
}

/**
 * Of a `_mapping` answer naming several indices (an alias, a data stream after a rollover), the
 * index a write lands in: the alias's write index (`GET /_alias/{name}`), a data stream's newest
 * backing index — a rollover into an index whose template maps the record field keeps records
 * from then on. When that cannot be told, all of them (each must keep records).
 */
async function writeIndexOnly(o: Read, name: string, answer: unknown): Promise<unknown> {
  if (!isObject(answer)) return answer;
  const names = Object.keys(answer);
  if (names.length < 2) return answer;
  let writer: string | undefined;
  const backing = names.map(backingIndexOf);
  if (backing.every((b) => b !== undefined)) writer = names[backing.reduce((best, b, i) => (b!.generation > backing[best]!.generation ? i : best), 0)];
  else {
    const al = await read(o, 'GET', `/_alias/${encodeURIComponent(name)}`);
    writer = al.status === 200 ? aliasWriteIndex(al.body, name) : undefined;
  }
  return writer && writer in answer ? { [writer]: answer[writer] } : answer;
}

/** The mapping a write to `name` lands in (see the header). Throws when a read fails (a 5xx, a 429, a cut answer; a 401/403 as an EngineRefusal). */
export async function writeMapping(o: Read, name: string): Promise<WriteMapping> {
  const enc = encodeURIComponent(name);
  const own = await read(o, 'GET', `/${enc}/_mapping`);
  if (own.status === 200) return { answer: await writeIndexOnly(o, name, own.body), from: 'index' };
  if (own.status !== 404) throw vlrError('VLR_UPSTREAM_ERROR', `the engine answered ${own.status} to GET /${name}/_mapping`);
  // templates are cluster-level rights (OpenSearch security: `indices:admin/index_template/simulate_index`,
  // Elasticsearch: `manage_index_templates`) that a writer of the index seldom has: refused, the mapping is unknown
  const sim = await read(o, 'POST', `/_index_template/_simulate_index/${enc}`).catch(unknownWhenRefused);
  if (sim.status !== 200 || !isObject(sim.body)) return { answer: undefined, from: 'unknown' };
  const tpl = (sim.body as { template?: { mappings?: unknown } }).template;
  if (isObject(tpl)) return { answer: { [name]: { mappings: isObject(tpl.mappings) ? tpl.mappings : {} } }, from: 'template' };
  const legacy = await read(o, 'GET', '/_template').catch(unknownWhenRefused);
  if (legacy.status !== 200) return { answer: undefined, from: 'unknown' };
  const m = legacyTemplateMapping(legacy.body, name);
  return m ? { answer: { [name]: { mappings: m } }, from: 'template' } : { answer: { [name]: { mappings: {} } }, from: 'dynamic' };
}

/**
 * `_mapping` answers of concrete indices, kept `ttlMs` per index and credentials (issue 13: every
 * single-document write read `GET /{index}/_mapping` first — one engine read per `_doc`). Kept only
 * what `_mapping` says of an existing index under its own name: an alias or a data stream (their
 * write index moves with a rollover) and a name the write will create (templates, dynamic mapping)
 * are read at every write, as before. An index deleted and created again under its name within
 * `ttlMs` is seen when the engine says so (`drop`): a write's answer saying it was the index's
 * first (`_seq_no` 0: the next write reads again), or a refusal of the vectors or record added
 * from the kept mapping (the write is read again and sent once more, ingest/handle.ts). 0: none kept.
 */
export class WriteMappings {
  readonly #kept: LRUCache<string, { who: string; mapping: WriteMapping }> | undefined;

  constructor(readonly ttlMs = 1_000, max = 1_024) {
    this.#kept = ttlMs > 0 ? new LRUCache({ max, ttl: ttlMs }) : undefined;
  }

  /** The kept mapping of `index` for these credentials (`clientReadHeaders`), if any. */
  get(index: string, headers: readonly string[]): WriteMapping | undefined {
    const e = this.#kept?.get(index);
    return e && e.who === credentialsKey(headers) ? e.mapping : undefined;
  }

  /** Keep a fresh read when it is an existing concrete index's own (see the class). */
  set(index: string, headers: readonly string[], mapping: WriteMapping): void {
    if (!this.#kept || mapping.from !== 'index' || !isObject(mapping.answer)) return;
    const names = Object.keys(mapping.answer);
    if (names.length === 1 && names[0] === index) this.#kept.set(index, { who: credentialsKey(headers), mapping });
  }

  has(index: string): boolean {
    return this.#kept?.has(index) ?? false;
  }

  /** Forget `index` (the engine said it may be another index now): the next write reads its mapping. */
  drop(index: string): void {
    this.#kept?.delete(index);
  }
}
