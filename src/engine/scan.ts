/**
 * Read every document of an index that matches a query, page by page, from one consistent view:
 * a point in time with `search_after` where the engine has one (Elasticsearch `_pit` sorted on
 * `_shard_doc`, the cheapest total order it offers), else a scroll sorted on `_doc` (OpenSearch
 * 2.19 opens a point in time with `_search/point_in_time` but refuses a `_shard_doc` sort, and
 * `_doc` alone is no total order across shards for `search_after` — a scroll is the engine's own
 * full scan there). Documents written while the scan runs are not seen (backfill finds them on its
 * next run). The view is closed when the reader stops, on success, error or abort.
 *
 * Engine knowledge only: never decides what a document needs and never writes.
 */
import { vlrError } from '../errors.js';
import { jsonWaitingOut429, type RefusalPolicy } from './refusals.js';
import type { EngineClient } from './client.js';

export interface ScanHit {
  _id: string;
  _index?: string;
  _source?: Record<string, unknown>;
  _seq_no?: number;
  _primary_term?: number;
  /** Set on a document written with a routing (a write must name it too). */
  _routing?: string;
  fields?: Record<string, unknown[]>;
}

export interface ScanOptions {
  query: unknown;
  /** Documents per page. */
  size: number;
  _source?: string[] | false;
  /** Doc-value fields returned in each hit's `fields`. */
  docvalueFields?: string[];
  /** Stored fields returned in each hit's `fields`. */
  storedFields?: string[];
  /** How long the engine keeps the view between two pages. */
  keepAlive?: string;
  /** The engine's 429 on a read: waited out (its Retry-After), bounded (refusals.ts). */
  refusals?: Omit<RefusalPolicy, 'signal'>;
  signal?: AbortSignal;
}

export interface ScanPage {
  hits: ScanHit[];
  /** How the index is read: `pit` or `scroll`. */
  via: 'pit' | 'scroll';
}

type SearchBody = { hits?: { hits?: ScanHit[] }; _scroll_id?: string; pit_id?: string; error?: { type?: string; reason?: string } };

function failed(what: string, index: string, r: { statusCode: number; body: unknown }): Error {
  return vlrError('VLR_UPSTREAM_ERROR', `${what} [${index}] failed: ${JSON.stringify(r.body).slice(0, 300)}`, { status: r.statusCode >= 400 ? r.statusCode : 502 });
}

/** The pages of `index` matching `o.query`, in index order. */
export async function* scanIndex(engine: EngineClient, index: string, o: ScanOptions): AsyncGenerator<ScanPage> {
  const { distribution } = await engine.info();
  const policy = { ...o.refusals, signal: o.signal };
  const read = `reading [${index}]`;
  const keepAlive = o.keepAlive ?? '10m';
  const idx = encodeURIComponent(index);
  const base = {
    size: o.size,
    query: o.query,
    _source: o._source ?? true,
    seq_no_primary_term: true,
    ...(o.docvalueFields?.length ? { docvalue_fields: o.docvalueFields } : {}),
    ...(o.storedFields?.length ? { stored_fields: o.storedFields } : {}),
  };
  if (distribution === 'elasticsearch') {
    const open = await jsonWaitingOut429<{ id?: string }>(engine, read, policy, 'POST', `/${idx}/_pit?keep_alive=${keepAlive}`, undefined, undefined, { signal: o.signal });
    if (open.statusCode === 200 && open.body?.id) {
      let pit = open.body.id;
      try {
        let after: unknown[] | undefined;
        for (;;) {
          o.signal?.throwIfAborted();
          const r = await jsonWaitingOut429<SearchBody & { hits?: { hits?: Array<ScanHit & { sort?: unknown[] }> } }>(
            engine,
            read,
            policy,
            'POST',
            '/_search',
            { ...base, track_total_hits: false, pit: { id: pit, keep_alive: keepAlive }, sort: [{ _shard_doc: 'asc' }], ...(after ? { search_after: after } : {}) },
            undefined,
            { signal: o.signal, idempotent: true },
          );
          if (r.statusCode !== 200) throw failed('reading', index, r);
          if (r.body.pit_id) pit = r.body.pit_id;
          const hits = r.body.hits?.hits ?? [];
          if (!hits.length) return;
          after = hits[hits.length - 1]!.sort;
          yield { hits, via: 'pit' };
          if (hits.length < o.size) return;
        }
      } finally {
        await engine.json('DELETE', '/_pit', { id: pit }).catch(() => undefined);
      }
    }
    // an engine without `_pit` (or refusing it): scroll below
  }
  yield* scroll(engine, index, idx, base, keepAlive, policy);
}

async function* scroll(engine: EngineClient, index: string, idx: string, base: Record<string, unknown>, keepAlive: string, policy: RefusalPolicy): AsyncGenerator<ScanPage> {
  const signal = policy.signal;
  const read = `reading [${index}]`;
  let id: string | undefined;
  try {
    let r = await jsonWaitingOut429<SearchBody>(engine, read, policy, 'POST', `/${idx}/_search?scroll=${keepAlive}`, { ...base, sort: ['_doc'] }, undefined, { signal, idempotent: true });
    for (;;) {
      if (r.statusCode !== 200) throw failed('reading', index, r);
      id = r.body._scroll_id ?? id;
      const hits = r.body.hits?.hits ?? [];
      if (!hits.length) return;
      yield { hits, via: 'scroll' };
      signal?.throwIfAborted();
      r = await jsonWaitingOut429<SearchBody>(engine, read, policy, 'POST', '/_search/scroll', { scroll: keepAlive, scroll_id: id }, undefined, { signal, idempotent: true });
    }
  } finally {
    if (id) await engine.json('DELETE', '/_search/scroll', { scroll_id: [id] }).catch(() => undefined);
  }
}
