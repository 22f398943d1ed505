/** Round 29c: the same reranked searches on the four proxies — hits and scores compared with 8.19's. */
import { SIDES, call, type Side } from './p29c-lib.js';
const bodies: Record<string, unknown> = JSON.parse(process.env.BODIES ?? 'null') ?? {
  text_ext: { size: 10, query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'sweet red apple' } } } },
  default_q: { size: 10, query: { multi_match: { query: 'banana', fields: ['title', 'description'] } }, ext: { vlrerank: {} } },
  ids_explain: { size: 5, query: { ids: { values: ['Golden-Delicious', 'Granny-Smith', 'Pink-Lady', 'Banana', 'Kiwi'] } }, ext: { vlrerank: { query: { text: 'green sour apple' }, explain: true } } },
};
const out: Record<string, Record<string, Array<[string, number]>>> = {};
for (const [name, body] of Object.entries(bodies)) {
  out[name] = {};
  for (const s of Object.keys(SIDES) as Side[]) {
    const r = await call(SIDES[s].proxy, 'POST', `/${process.env.INDEX ?? 'p29c-g'}/_search`, body);
    if (r.status !== 200) { console.log(name, s, r.status, r.text.slice(0, 400)); continue; }
    out[name][s] = r.json.hits.hits.map((h: any) => [h._id, Number((h._score ?? 0).toFixed(6))]);
    const v = r.json.vlrerank;
    console.log(name, s, 'reranked', v?.reranked, 'degraded', v?.degraded, 'runs', JSON.stringify(v?.model_runs ?? v?.runs ?? ''), 'warn', r.headers.get('warning')?.slice(0, 120) ?? '');
  }
  const ref = out[name].es8 ?? [];
  for (const s of Object.keys(out[name])) {
    const hits = out[name][s];
    const maxd = Math.max(0, ...hits.map(([id, sc]) => { const o = ref.find(([i]) => i === id); return o ? Math.abs(o[1] - sc) : 99; }));
    console.log(' ', s, 'same order', JSON.stringify(hits.map((h) => h[0])) === JSON.stringify(ref.map((h) => h[0])), 'max |d|', maxd.toFixed(6), JSON.stringify(hits.slice(0, 4)));
  }
}
