/** Held-out probe round 29a: `?filter_path=` expressions on a reranked answer against the engine's, compared by the paths each keeps (npx tsx scripts/probe/p29a-fpath.ts). */
import { ENGINES, RR, send, stripRerank } from './p29a-lib.js';

const body = { query: { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } }, size: 3, ext: RR, aggs: { c: { terms: { field: 'category.keyword' }, aggs: { top: { top_hits: { size: 1, _source: ['title'] } } } } }, suggest: { s: { text: 'aple', term: { field: 'title' } } } };
const paths = (x: unknown, at = ''): string[] => x && typeof x === 'object' ? Object.entries(x as object).flatMap(([k, v]) => paths(v, `${at}${Array.isArray(x) ? '[]' : '.' + k}`)) : [at];
const FP = ['**._id', 'hits.hits._source.title', 'hits.**._score', 'aggregations.*.buckets.key', 'aggregations.**.hits.hits._id', '-hits.hits._source,-took', 'hits.hits._source.ti*', 'suggest.*.options.text', '-**.image_vector,-**.image_text_vector', 'hits.hits', 'hits.total.value,hits.max_score', '*.total', 'took', '-hits', 'hits.hits._s*', 'hits.hits.*'];
for (const e of ENGINES) {
  for (const fp of FP) {
    const q = `/p29a-g/_search?filter_path=${encodeURIComponent(fp)}`;
    const a = await send(e.vl, q, body);
    const d = await send(e.direct, q, stripRerank(body));
    const pa = [...new Set(paths(a.j))].filter((p) => !p.startsWith('.vlrerank') && !p.startsWith('.took')).sort().join(' ');
    const pd = [...new Set(paths(d.j))].filter((p) => !p.startsWith('.took')).sort().join(' ');
    console.log(`[${e.name} ${fp}] ${a.status}/${d.status} ${pa === pd ? 'same' : `DIFF\n   vl: ${pa.slice(0, 400)}\n   es: ${pd.slice(0, 400)}`}${'vlrerank' in (a.j ?? {}) ? ' (+vlrerank)' : ''}`);
  }
}
