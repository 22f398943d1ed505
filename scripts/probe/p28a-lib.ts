/** Held-out probe round 28a: send a search to vlrerank (19640+i) and to its engine (19200+i) and print both in one line each. */
export const ENGINES = [
  { name: 'es8', direct: 'http://127.0.0.1:19200', vl: 'http://127.0.0.1:19640' },
  { name: 'os2', direct: 'http://127.0.0.1:19201', vl: 'http://127.0.0.1:19641' },
  { name: 'os3', direct: 'http://127.0.0.1:19202', vl: 'http://127.0.0.1:19642' },
  { name: 'es9', direct: 'http://127.0.0.1:19203', vl: 'http://127.0.0.1:19643' },
];
export const VEC = Array.from({ length: 384 }, (_, i) => (i % 7 === 0 ? 0.2 : 0.01));

export function summary(status: number, j: any): string {
  if (j?.error) {
    const e = j.error;
    const rc = e.root_cause?.[0];
    return `${status} ${e.type}: ${String(e.reason ?? '').slice(0, 160)}${rc && rc.reason !== e.reason ? ` | root ${rc.type}: ${String(rc.reason).slice(0, 120)}` : ''}`;
  }
  if (j?.responses) return `${status} msearch [${j.responses.map((r: any) => summary(r.status ?? 200, r)).join(' ;; ')}]`;
  const hits = j?.hits?.hits ?? [];
  const v = j?.vlrerank;
  const ids = hits.slice(0, 6).map((h: any) => `${h._id}${h._rank !== undefined ? `#${h._rank}` : ''}:${typeof h._score === 'number' ? h._score.toFixed(3) : h._score}`).join(' ');
  return `${status} total=${JSON.stringify(j?.hits?.total?.value ?? j?.hits?.total)} n=${hits.length} ${ids}${v ? ` | vl syntax=${v.syntax} win=${v.window} cand=${v.candidates} deg=${v.degraded}${v.reason ? ` ${v.reason}` : ''}${v.note ? ` note=${v.note}` : ''}` : ''}${j?.aggregations ? ` aggs=${JSON.stringify(j.aggregations).slice(0, 80)}` : ''}`;
}

export async function send(base: string, path: string, body: unknown, method = 'POST', ctype = 'application/json'): Promise<{ status: number; j: any }> {
  const r = await fetch(base + path, { method, headers: { 'content-type': ctype }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const t = await r.text();
  let j: any;
  try { j = JSON.parse(t); } catch { j = { raw: t.slice(0, 200) }; }
  return { status: r.status, j };
}

export async function both(label: string, path: string, body: unknown, only?: string[], directBody?: unknown): Promise<void> {
  for (const e of ENGINES) {
    if (only && !only.includes(e.name)) continue;
    const a = await send(e.vl, path, body);
    const d = await send(e.direct, path, directBody ?? body);
    console.log(`[${label}] ${e.name}\n   vl: ${summary(a.status, a.j)}\n   es: ${summary(d.status, d.j)}`);
  }
}
