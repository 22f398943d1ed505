/** Held-out probe round 28a: details of reranked retriever answers, and `_msearch` mixing trees. */
import { ENGINES, send, summary, VEC } from './p28a-lib.js';

const std = { standard: { query: { match: { title: 'milk' } } } };
const tsr = (retriever: unknown, extra: Record<string, unknown> = {}) => ({ text_similarity_reranker: { retriever, field: 'title', inference_text: 'oat milk', rank_window_size: 10, ...extra } });
for (const e of ENGINES) {
  const a = await send(e.vl, '/p28a-g/_search', { size: 3, _source: ['title'], highlight: { fields: { title: {} } }, retriever: tsr(std) });
  console.log(e.name, 'src/hl', JSON.stringify(a.j.hits.hits.map((h: any) => [h._id, h._source, h.highlight, Object.keys(h)])).slice(0, 400));
  const f = await send(e.vl, '/p28a-g/_search', { retriever: tsr({ standard: { query: { match: { title: 'milk' } }, filter: { term: { 'class_name.keyword': 'Oat-Milk' } } } }, { filter: { term: { 'class_name.keyword': 'Arla-Medium-Fat-Milk' } } }) });
  console.log(e.name, 'two filters', summary(f.status, f.j));
  const m = await send(e.vl, '/p28a-g/_search', { retriever: tsr(std, { min_score: 0.25 }) });
  console.log(e.name, 'min_score .25', summary(m.status, m.j));
  const nd = [
    {}, { retriever: tsr(std) },
    {}, { retriever: { rrf: { retrievers: [tsr(std), std] } } },
    {}, { retriever: tsr({ rrf: { retrievers: [std] } }) },
    {}, { query: { match: { title: 'milk' } } },
    { index: 'p28a-g' }, { retriever: { rescorer: { retriever: tsr(std), rescore: { query: { rescore_query: { match_all: {} } } } } } },
  ].map((x) => JSON.stringify(x)).join('\n') + '\n';
  const ms = await send(e.vl, '/p28a-g/_msearch', nd, 'POST', 'application/x-ndjson');
  console.log(e.name, 'msearch', summary(ms.status, ms.j));
}
