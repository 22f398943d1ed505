/** Probe: odd ids written by _doc (JS client), _bulk, _create, _update; each searched with explain. */
import { BANANA, IDS, MILK, call, setup, ENGINE, BASE } from './p29b-lib.js';

const index = process.argv[2] ?? 'p29b-r1';
const pipe = index.startsWith('p29b-r') ? 'p29b' : 'p29bn';
await setup(pipe, index);
const res: Record<string, unknown> = {};
const ok: string[] = [];
for (const [k, id] of Object.entries(IDS)) {
  const img = k.length % 2 ? BANANA : MILK;
  // the path encoded as the official JS clients encode it (encodeURIComponent)
  const r = await call(BASE, 'PUT', `/${index}/_doc/${encodeURIComponent(id)}`, { title: `doc ${k}`, image: img });
  if (r.status < 300 && r.json?._id === id) {
    res[`doc:${k}`] = r.json.result;
    ok.push(k);
  } else {
    const d = await call(ENGINE, 'PUT', `/${index}/_doc/${encodeURIComponent(id)}`, { title: 'x' });
    res[`doc:${k}`] = `proxy ${r.status} ${r.text.slice(0, 160)} | direct ${d.status} ${d.text.slice(0, 120)}`;
  }
}
await call(ENGINE, 'POST', `/${index}/_refresh`);
// read back each id via the engine directly: _source and record present?
for (const k of ok) {
  const id = IDS[k]!;
  const g = (await call(ENGINE, 'GET', `/${index}/_doc/${encodeURIComponent(id)}?stored_fields=vlrerank_features`)).json;
  if ((g as any)?._id !== id) res[`get:${k}`] = `MISMATCH ${JSON.stringify(g).slice(0, 200)}`;
  else res[`get:${k}`] = (g as any)?.fields ? 'rec' : 'NOREC';
}
// search ids through the proxy, explain
const ids = ok.map((k) => IDS[k]!);
const s = await call(BASE, 'POST', `/${index}/_search`, { size: 100, query: { ids: { values: ids } }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
console.log('search', s.status, s.json?.hits?.hits?.length, 'of', ids.length, JSON.stringify(s.json?.vlrerank ?? {}).slice(0, 600));
const got = new Set((s.json?.hits?.hits ?? []).map((h: any) => h._id));
for (const k of ok) if (!got.has(IDS[k])) res[`hit:${k}`] = 'MISSING';
for (const h of s.json?.hits?.hits ?? []) {
  const k = Object.keys(IDS).find((x) => IDS[x] === h._id);
  const ex = h._vlrerank ?? h._explanation;
  res[`hit:${k}`] = `${h._score?.toFixed?.(4)} src=${ex?.feature_source ?? JSON.stringify(ex).slice(0, 80)} title=${h._source?.title}`;
  if (h._source?.title !== `doc ${k}`) res[`hit:${k}`] += ' TITLE-MISMATCH';
}
console.log(JSON.stringify(res, null, 1));
