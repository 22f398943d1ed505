/** Held-out probe round 27a: helpers — the proxy, the engine, a reranked score of one `_id`. */
export const BASE = process.env.P27A_BASE ?? 'http://127.0.0.1:19580';
export const ENGINE = process.env.P27A_ENGINE ?? 'http://127.0.0.1:19200';
export const TMP = process.env.P27A_TMP ?? '/tmp/p27a-es';

export async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, text, json };
}

/** The rerank score of each of `ids` for `q` in `index`, the window being those ids only (a client `ids` query). */
export async function scores(index: string, q: string, ids: string[]): Promise<Record<string, number | null>> {
  const r = await call(BASE, 'POST', `/${index}/_search`, { size: ids.length, query: { ids: { values: ids } }, ext: { vlrerank: { query: { text: q }, explain: true } } });
  if (r.status !== 200) throw new Error(`${r.status} ${r.text.slice(0, 300)}`);
  const out: Record<string, number | null> = {};
  for (const h of r.json.hits.hits) out[h._id] = h._vlrerank?.rerank_score ?? null;
  if (r.json.vlrerank?.degraded) out.__degraded = 1;
  return out;
}

/** The reranked window of a pipeline search (ids in order, with the report). */
export async function ranked(index: string, q: string, size = 10): Promise<{ ids: string[]; report: any; hits: any[] }> {
  const r = await call(BASE, 'POST', `/${index}/_search`, { size, ext: { vlrerank: { query: { text: q }, explain: true } } });
  if (r.status !== 200) throw new Error(`${r.status} ${r.text.slice(0, 300)}`);
  return { ids: r.json.hits.hits.map((h: any) => h._id), report: r.json.vlrerank, hits: r.json.hits.hits };
}

/** The reference: the document as it is now written whole into `p27a-t` under the same id, its score there. */
export async function truth(id: string, doc: Record<string, unknown>, q: string): Promise<number | null> {
  const w = await call(BASE, 'PUT', `/p27a-t/_doc/${encodeURIComponent(id)}?refresh=true`, doc);
  if (w.status >= 300) throw new Error(`truth write ${w.status} ${w.text.slice(0, 300)}`);
  return (await scores('p27a-t', q, [id]))[id] ?? null;
}

export async function metric(name: string): Promise<string[]> {
  const t = await (await fetch(`${BASE}/_vlrerank/metrics`)).text();
  return t.split('\n').filter((l) => l.startsWith(name));
}

export const near = (a: number | null | undefined, b: number | null | undefined, tol = 0.01) => a != null && b != null && Math.abs(a - b) <= tol;
