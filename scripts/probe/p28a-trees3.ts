/** Held-out probe round 28a, third batch: legacy `rank`, knn retriever on OpenSearch, named queries, sub_searches. */
import { both, VEC } from './p28a-lib.js';

const knn = { field: 'image_text_vector', query_vector: VEC, k: 5, num_candidates: 20 };
const cases: Record<string, unknown> = {
  rank_rrf_ext: { query: { match: { title: 'milk' } }, knn, rank: { rrf: {} }, ext: { vlrerank: { query: 'oat milk' } } },
  sub_searches_ext: { sub_searches: [{ query: { match: { title: 'milk' } } }], rank: { rrf: {} }, ext: { vlrerank: { query: 'oat milk' } } },
  knn_retr_ext: { size: 3, retriever: { knn: { ...knn, filter: { match: { title: 'milk' } } } }, ext: { vlrerank: { query: 'oat milk' } } },
  named_q: { size: 3, retriever: { text_similarity_reranker: { retriever: { standard: { query: { bool: { should: [{ match: { title: { query: 'milk', _name: 'tm' } } }, { match: { description: { query: 'oat', _name: 'do' } } }] } } } }, field: 'title', inference_text: 'oat milk' } } },
  knn_two_ext: { size: 3, knn: [knn, { ...knn, k: 3 }], ext: { vlrerank: { query: 'oat milk' } } },
  knn_query_tsr_bad: { knn, retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { title: 'milk' } } } }, field: 'title', inference_text: 'oat milk' } } },
};
const want = process.argv.slice(2);
for (const [k, b] of Object.entries(cases)) if (!want.length || want.includes(k)) await both(k, '/p28a-g/_search', b, ['es8', 'os3']);
