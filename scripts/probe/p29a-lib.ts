/** Held-out probe round 29a: send a search to vlrerank (19660+i) and to its engine directly (the same body minus the rerank) and print what differs. */
export const ENGINES = [
  { name: 'es8', direct: 'http://127.0.0.1:19200', vl: 'http://127.0.0.1:19660' },
  { name: 'os2', direct: 'http://127.0.0.1:19201', vl: 'http://127.0.0.1:19661' },
  // P29A_ES9=1: Elasticsearch 9.2 too (its vlrerank on 19664)
  ...(process.env.P29A_ES9 ? [{ name: 'es9', direct: 'http://127.0.0.1:19203', vl: 'http://127.0.0.1:19664' }] : []),
];
export const RR = { vlrerank: { query: { text: 'green apple' } } };

export async function send(base: string, path: string, body: unknown, method = 'POST'): Promise<{ status: number; j: any; ctype: string }> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(base + path, init);
  const t = await r.text();
  let j: any;
  try { j = JSON.parse(t); } catch { j = { raw: t.slice(0, 300) }; }
  return { status: r.status, j, ctype: r.headers.get('content-type') ?? '' };
}

const err = (j: any) => (j?.error ? `${j.error.type}: ${String(j.error.reason ?? '').slice(0, 220)}` : '');
const hitKeys = (j: any) => [...new Set((j?.hits?.hits ?? []).flatMap((h: any) => Object.keys(h)))].sort().join(',');
const srcKeys = (j: any) => [...new Set((j?.hits?.hits ?? []).flatMap((h: any) => Object.keys(h._source ?? {})))].sort().join(',');
const fieldKeys = (j: any) => [...new Set((j?.hits?.hits ?? []).flatMap((h: any) => Object.keys(h.fields ?? {})))].sort().join(',');
const ids = (j: any) => (j?.hits?.hits ?? []).map((h: any) => h._id);
const topKeys = (j: any) => Object.keys(j ?? {}).filter((k) => k !== 'vlrerank').sort().join(',');

/** One case: the body with the rerank to vlrerank, the body without it to the engine. */
export async function both(label: string, path: string, body: any, opts: { only?: string[]; method?: string; show?: (j: any) => unknown } = {}): Promise<void> {
  for (const e of ENGINES) {
    if (opts.only && !opts.only.includes(e.name)) continue;
    const direct = body && typeof body === 'object' ? stripRerank(body) : body;
    const a = await send(e.vl, path, body, opts.method);
    const d = await send(e.direct, path.replace(/([?&])search_pipeline=[^&]*&?/, '$1'), direct, opts.method);
    const lines = [`[${label}] ${e.name} vl ${a.status} / direct ${d.status}`];
    if (err(a.j) || err(d.j)) lines.push(`   vl: ${err(a.j)}`, `   es: ${err(d.j)}`);
    else {
      const v = a.j.vlrerank;
      lines.push(`   vl: ids=${ids(a.j).slice(0, 8).join(' ')} total=${JSON.stringify(a.j.hits?.total)} max=${a.j.hits?.max_score} ${v ? `[syntax=${v.syntax} win=${v.window} cand=${v.candidates} deg=${v.degraded}${v.reason ? ' ' + v.reason : ''}]` : '[NOT RERANKED]'}`);
      lines.push(`   es: ids=${ids(d.j).slice(0, 8).join(' ')} total=${JSON.stringify(d.j.hits?.total)} max=${d.j.hits?.max_score}`);
      const cmp = (what: string, f: (j: any) => string) => { const x = f(a.j), y = f(d.j); lines.push(`   ${x === y ? 'same' : 'DIFF'} ${what}: ${x === y ? x.slice(0, 120) : `vl=${x.slice(0, 200)} | es=${y.slice(0, 200)}`}`); };
      cmp('top', topKeys);
      cmp('hitkeys', hitKeys);
      cmp('_source', srcKeys);
      cmp('fields', fieldKeys);
      if (a.j.aggregations || d.j.aggregations) cmp('aggs', (j) => JSON.stringify(j.aggregations ?? null));
      if (a.j.suggest || d.j.suggest) cmp('suggest', (j) => JSON.stringify(j.suggest ?? null));
      if (opts.show) lines.push(`   vl show: ${JSON.stringify(opts.show(a.j))?.slice(0, 400)}`, `   es show: ${JSON.stringify(opts.show(d.j))?.slice(0, 400)}`);
    }
    console.log(lines.join('\n'));
  }
}

export function stripRerank(body: any): any {
  const b = JSON.parse(JSON.stringify(body));
  if (b.ext) { delete b.ext.vlrerank; if (Object.keys(b.ext).length === 0) delete b.ext; }
  return b;
}
