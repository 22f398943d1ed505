/** Held-out probe round 28a, second batch: reranker over knn children, paging over the window, explain, window bounds. */
import { both, VEC } from './p28a-lib.js';

const std = { standard: { query: { match: { description: 'milk' } } } };
const knn = { knn: { field: 'image_text_vector', query_vector: VEC, k: 6, num_candidates: 30 } };
const tsr = (retriever: unknown, extra: Record<string, unknown> = {}) => ({ text_similarity_reranker: { retriever, field: 'title', inference_text: 'oat milk', rank_window_size: 10, ...extra } });
const cases: Record<string, unknown> = {
  knn_child: { size: 4, retriever: tsr(knn) },
  knn_child_filter: { size: 4, retriever: tsr({ knn: { ...knn.knn, filter: { match: { title: 'milk' } } } }) },
  knn_child_bigwin: { size: 4, retriever: tsr(knn, { rank_window_size: 30 }) },
  page_over: { from: 8, size: 4, retriever: tsr(std) },
  page_in: { from: 2, size: 3, retriever: tsr(std) },
  size_gt_win: { size: 20, retriever: tsr(std) },
  win_over_max: { retriever: tsr(std, { rank_window_size: 500 }) },
  win_zero: { retriever: tsr(std, { rank_window_size: 0 }) },
  explain: { size: 2, explain: true, retriever: tsr(std) },
  min_score_child: { retriever: tsr({ standard: { query: { match: { description: 'milk' } }, min_score: 2 } }) },
  terminate_child: { retriever: tsr({ standard: { query: { match: { description: 'milk' } }, terminate_after: 2 } }) },
  sort_child: { retriever: tsr({ standard: { query: { match: { description: 'milk' } }, sort: [{ 'class_name.keyword': 'asc' }] } }) },
  post_filter: { post_filter: { match: { title: 'oat' } }, retriever: tsr(std) },
  track_total: { track_total_hits: false, retriever: tsr(std) },
  inference_id_pipe: { retriever: tsr(std, { inference_id: 'p28a' }) },
  inference_id_unknown: { retriever: tsr(std, { inference_id: '.rerank-v1-elasticsearch' }) },
  field_not_text: { retriever: tsr(std, { field: 'image' }) },
};
const want = process.argv.slice(2);
for (const [k, b] of Object.entries(cases)) if (!want.length || want.includes(k)) await both(k, '/p28a-g/_search', b, ['es8', 'os3']);
