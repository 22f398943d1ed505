/** Held-out probe round 28a: Elasticsearch retriever trees with a text_similarity_reranker inside, through vlrerank and directly. `npx tsx scripts/probe/p28a-trees.ts [case…]` */
import { both, VEC } from './p28a-lib.js';

const std = { standard: { query: { match: { title: 'milk' } } } };
const knn = { knn: { field: 'image_text_vector', query_vector: VEC, k: 5, num_candidates: 20 } };
const tsr = (retriever: unknown, extra: Record<string, unknown> = {}) => ({ text_similarity_reranker: { retriever, field: 'title', inference_text: 'oat milk', rank_window_size: 10, ...extra } });
const cases: Record<string, unknown> = {
  tsr_rrf: { retriever: tsr({ rrf: { retrievers: [std, knn], rank_window_size: 10 } }) },
  rrf_tsr: { retriever: { rrf: { retrievers: [tsr(std), knn] } } },
  tsr_tsr: { retriever: tsr(tsr(std)) },
  linear_tsr: { retriever: { linear: { retrievers: [{ retriever: tsr(std), weight: 2 }, { retriever: knn, weight: 1 }] } } },
  tsr_linear: { retriever: tsr({ linear: { retrievers: [{ retriever: std, weight: 2 }, { retriever: knn, weight: 1 }] } }) },
  rescorer_tsr: { retriever: { rescorer: { retriever: tsr(std), rescore: { window_size: 5, query: { rescore_query: { match: { description: 'oat' } } } } } } },
  tsr_rescorer: { retriever: tsr({ rescorer: { retriever: std, rescore: { window_size: 5, query: { rescore_query: { match: { description: 'oat' } } } } } }) },
  rescorer_std: { retriever: { rescorer: { retriever: std, rescore: { window_size: 5, query: { rescore_query: { match: { description: 'oat' } } } } } } },
  pinned_tsr: { retriever: { pinned: { ids: ['Banana'], retriever: tsr(std) } } },
  tsr_pinned: { retriever: tsr({ pinned: { ids: ['Banana'], retriever: std } }) },
  tsr_filter_min: { retriever: tsr(std, { filter: { term: { class_name: 'Oat-Milk' } }, min_score: 0.1 }) },
  tsr_knn_query: { query: { match: { title: 'milk' } }, knn: { field: 'image_text_vector', query_vector: VEC, k: 5, num_candidates: 20 }, ext: { vlrerank: { query: 'oat milk' } } },
  tsr_small_win: { size: 5, from: 3, retriever: tsr(std, { rank_window_size: 8 }) },
  tsr_big_win: { size: 5, retriever: tsr(std, { rank_window_size: 150 }) },
  tsr_src_aggs_hl: { size: 3, _source: ['title'], aggs: { c: { terms: { field: 'class_name.keyword' } } }, highlight: { fields: { title: {} } }, retriever: tsr(std) },
  tsr_collapse: { collapse: { field: 'class_name.keyword' }, retriever: tsr(std) },
  tsr_std_collapse: { retriever: tsr({ standard: { query: { match: { title: 'milk' } }, collapse: { field: 'class_name.keyword' } } }) },
  rrf_plain: { retriever: { rrf: { retrievers: [std, knn] } }, ext: { vlrerank: { query: 'oat milk' } } },
  tsr_top_rrf_ext: { retriever: tsr(std), ext: { vlrerank: { query: 'milk', window: 10 } } },
  bool_in_tsr: { retriever: tsr({ standard: { query: { bool: { should: [{ match: { title: 'milk' } }, { knn: { field: 'image_text_vector', query_vector: VEC, k: 5 } }] } } } }) },
};
const want = process.argv.slice(2);
for (const [k, b] of Object.entries(cases)) if (!want.length || want.includes(k)) await both(k, '/p28a-g/_search', b);
