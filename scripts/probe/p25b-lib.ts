/**
 * Held-out probe round 25b: asking running vlrerank servers the same question several ways and
 * comparing the answers (ids in order, `_score`s exactly: the docs promise a pair's score equals
 * wherever it is computed, 6 decimals on the wire).
 */
export interface Hit {
  id: string;
  score: number;
  vl?: Record<string, unknown>;
}
export interface Answer {
  status: number;
  hits: Hit[];
  vlrerank?: Record<string, unknown>;
  body: any;
}

const INDEX = process.env.P25B_INDEX ?? 'p25b-mix';

export function ask(text: string | undefined, extra: Record<string, unknown> = {}, vl: Record<string, unknown> = {}): Record<string, unknown> {
  return { size: 10, ...extra, ext: { vlrerank: { pipeline: 'p25bn', ...(text !== undefined ? { query: { text } } : {}), ...vl } } };
}

export async function search(base: string, body: unknown, path = `/${INDEX}/_search`): Promise<Answer> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = (await r.json()) as any;
  return { status: r.status, hits: (j.hits?.hits ?? []).map((h: any) => ({ id: h._id, score: h._score, vl: h._vlrerank })), vlrerank: j.vlrerank, body: j };
}

export async function msearch(base: string, bodies: unknown[]): Promise<Answer[]> {
  const nd = bodies.map((b) => `${JSON.stringify({ index: INDEX })}\n${JSON.stringify(b)}\n`).join('');
  const r = await fetch(`${base}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
  const j = (await r.json()) as any;
  return (j.responses ?? []).map((x: any) => ({ status: x.status ?? r.status, hits: (x.hits?.hits ?? []).map((h: any) => ({ id: h._id, score: h._score })), vlrerank: x.vlrerank, body: x }));
}

export async function rerankApi(base: string, query: unknown, documents: unknown[], extra: Record<string, unknown> = {}): Promise<{ status: number; byIndex: number[]; order: number[]; body: any }> {
  const r = await fetch(`${base}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, documents, ...extra }) });
  const j = (await r.json()) as any;
  const res: Array<{ index: number; relevance_score: number }> = j.results ?? [];
  const byIndex: number[] = [];
  for (const x of res) byIndex[x.index] = x.relevance_score;
  return { status: r.status, byIndex, order: res.map((x) => x.index), body: j };
}

export const fmt = (hs: Hit[]) => hs.map((h) => `${h.id}:${h.score}`).join(' ');

/** The first difference between two hit lists (ids in order, then scores exactly), or '' when alike. */
export function differ(a: Hit[], b: Hit[]): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.id !== b[i]!.id) return `rank ${i + 1}: ${a[i]!.id}(${a[i]!.score}) vs ${b[i]!.id}(${b[i]!.score})`;
    if (a[i]!.score !== b[i]!.score) return `rank ${i + 1} ${a[i]!.id}: ${a[i]!.score} vs ${b[i]!.score} (Δ ${Math.abs(a[i]!.score - b[i]!.score).toExponential(2)})`;
  }
  return '';
}

export const results: Array<{ probe: string; ok: boolean; detail: string }> = [];
export function check(probe: string, detail: string, okIfEmpty = true): void {
  const ok = okIfEmpty ? detail === '' : detail !== '';
  results.push({ probe, ok, detail });
  console.log(`${ok ? 'ok  ' : 'DIFF'} ${probe}${detail ? ` — ${detail}` : ''}`);
}
