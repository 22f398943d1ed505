/**
 * Held-out probe round 26c: `completion` and `term`/`phrase` suggesters through vlrerank, each beside
 * the engine answering directly — alone (passthrough: bytes equal but `took`), beside a rerank ask
 * (the answer's `suggest` equal), and `_source`/`size: 0` variants a search box sends.
 *
 *   npx tsx scripts/probe/p26c-suggest.ts es|os
 */
const eng = process.argv[2] ?? 'es';
const direct = eng === 'es' ? 'http://127.0.0.1:19200' : 'http://127.0.0.1:19201';
const proxy = eng === 'es' ? 'http://127.0.0.1:19520' : 'http://127.0.0.1:19521';
const noTook = (s: string) => s.replace(/"took":\d+/, '"took":0');

async function post(base: string, path: string, body: unknown): Promise<{ status: number; text: string; ct: string | null }> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text(), ct: r.headers.get('content-type') };
}
const comp = (prefix: string, extra: Record<string, unknown> = {}) => ({ s: { prefix, completion: { field: 'suggest', size: 5, ...extra } } });
const cases: Array<[string, string, Record<string, unknown>]> = [];
for (const p of ['p', 'pin', 'pine', 'banan', 'gol', 'xyz', '']) {
  cases.push([`completion ${JSON.stringify(p)}`, '/p26c-g/_search', { suggest: comp(p) }]);
  cases.push([`completion ${JSON.stringify(p)} size 0`, '/p26c-g/_search', { size: 0, suggest: comp(p) }]);
  cases.push([`completion ${JSON.stringify(p)} fuzzy skip_duplicates`, '/p26c-g/_search', { _source: ['title'], suggest: comp(p, { fuzzy: { fuzziness: 1 }, skip_duplicates: true }) }]);
  cases.push([`term+phrase ${JSON.stringify(p)}`, '/p26c-g/_search?typed_keys=true', { size: 0, suggest: { text: p || 'x', t: { term: { field: 'title' } }, ph: { phrase: { field: 'title' } } } }]);
}
let same = 0;
for (const [name, path, body] of cases) {
  const [d, v] = [await post(direct, path, body), await post(proxy, path, body)];
  const eq = d.status === v.status && noTook(d.text) === noTook(v.text) && d.ct === v.ct;
  if (eq) same++;
  else console.log(`DIFF ${name}: ${d.status}/${v.status} ${d.text.slice(0, 200)} | ${v.text.slice(0, 200)}`);
  // beside a rerank ask: the suggest part alike
  const r = await post(proxy, path, { ...body, ext: { vlrerank: { query: { text: 'pineapple' } } } });
  const dj = JSON.parse(d.text);
  const rj = JSON.parse(r.text);
  const eq2 = r.status === d.status && JSON.stringify(rj.suggest) === JSON.stringify(dj.suggest);
  if (eq2) same++;
  else console.log(`DIFF reranked ${name}: ${r.status} ${JSON.stringify(rj.suggest ?? rj.error).slice(0, 300)} | direct ${JSON.stringify(dj.suggest ?? dj.error).slice(0, 300)}`);
}
console.log(`${same} of ${cases.length * 2} alike`);
