/**
 * Compare an official client's answer through the proxy with its answer direct from the engine:
 * status, headers (minus per-connection and length ones) and body, after removing timings
 * (`took`…) and per-request ids (scroll ids), and after renaming index names that differ only
 * because the two sides wrote to different indices.
 */

export interface Answer {
  statusCode: number | null;
  body: unknown;
  headers: Record<string, unknown>;
}

/** The answer of a client call; a ResponseError's `meta` is an answer too (404, 400…). */
export async function answer(call: Promise<unknown>): Promise<Answer> {
  try {
    const r = (await call) as Answer;
    return { statusCode: r.statusCode, body: r.body, headers: r.headers ?? {} };
  } catch (e) {
    const meta = (e as { meta?: Answer }).meta;
    if (!meta || typeof meta.statusCode !== 'number') throw e;
    return { statusCode: meta.statusCode, body: meta.body, headers: meta.headers ?? {} };
  }
}

const VOLATILE_KEYS = new Set(['took', 'ingest_took', '_scroll_id', 'pit_id']);
/**
 * Headers that belong to one connection, depend on the body length (which `took` changes), or
 * carry timings (OpenSearch 2.x answers by-query calls with a `task_resource_usage` header of CPU
 * time and task ids).
 */
const VOLATILE_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'task_resource_usage']);

/**
 * `_cat/count` and `_cat/health` begin each row with the second they were answered at; the direct
 * and the proxied call may straddle a second boundary (CI saw 17:01:33 vs 17:01:34).
 */
function maskCatClock(text: string): string {
  if (!/^epoch\s+timestamp\b/.test(text)) return text;
  return text.replace(/^\d{9,}(\s+)\d\d:\d\d:\d\d/gm, 'EPOCH$1HH:MM:SS');
}

function strip(v: unknown): unknown {
  if (typeof v === 'string') return maskCatClock(v);
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!VOLATILE_KEYS.has(k)) out[k] = strip(x);
    return out;
  }
  return v;
}

export function comparable(a: Answer, renames: Array<[string, string]> = []): Answer {
  let body = strip(a.body);
  if (renames.length) {
    let s = JSON.stringify(body);
    for (const [from, to] of renames) s = s.split(from).join(to);
    body = JSON.parse(s);
  }
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.headers)) if (!VOLATILE_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  return { statusCode: a.statusCode, body, headers };
}
