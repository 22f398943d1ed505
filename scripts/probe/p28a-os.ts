/** Held-out probe round 28a: OpenSearch hybrid queries and search pipelines with a rerank, through vlrerank and directly. `npx tsx scripts/probe/p28a-os.ts [case…]` */
import { both, send, VEC } from './p28a-lib.js';

const hybrid = { hybrid: { queries: [{ match: { title: 'milk' } }, { knn: { image_text_vector: { vector: VEC, k: 5 } } }] } };
const norm = { 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean' } } };
const rerankProc = { rerank: { by_field: { target_field: 'title' } } };
const qc = { rerank: { query_context: { query_text: 'oat milk' } } };
const cases: Array<[string, string, unknown]> = [
  ['hyb_sp_url', '/p28a-g/_search?search_pipeline=p28a', { query: hybrid, ext: qc }],
  ['hyb_ext', '/p28a-g/_search', { query: hybrid, ext: { vlrerank: { query: 'oat milk' } } }],
  ['hyb_tmp_body', '/p28a-g/_search', { query: hybrid, search_pipeline: { phase_results_processors: [norm], response_processors: [rerankProc] }, ext: qc }],
  ['hyb_tmp_body_url', '/p28a-g/_search?search_pipeline=p28a', { query: hybrid, search_pipeline: { phase_results_processors: [norm] }, ext: qc }],
  ['match_tmp_trunc_url', '/p28a-g/_search?search_pipeline=p28a', { query: { match: { title: 'milk' } }, search_pipeline: { response_processors: [{ truncate_hits: { target_size: 2 } }] }, ext: qc }],
  ['qtp', '/p28a-g/_search?search_pipeline=p28a', { query: { match: { title: 'milk' } }, ext: { rerank: { query_context: { query_text_path: 'query.match.title' } } } }],
  ['qtp_hybrid', '/p28a-g/_search?search_pipeline=p28a', { query: hybrid, ext: { rerank: { query_context: { query_text_path: 'query.hybrid.queries[0].match.title' } } } }],
  ['hyb_paging', '/p28a-g/_search?search_pipeline=p28a', { from: 2, size: 2, query: { hybrid: { ...hybrid.hybrid, pagination_depth: 10 } }, ext: qc }],
  ['sp_body_name', '/p28a-g/_search', { search_pipeline: 'p28a', query: { match: { title: 'milk' } }, ext: qc }],
  ['sp_collapse', '/p28a-g/_search?search_pipeline=p28a', { collapse: { field: 'class_name.keyword' }, query: { match: { title: 'milk' } }, ext: qc }],
  ['sp_tmp_collapse_proc', '/p28a-g/_search?search_pipeline=p28a', { search_pipeline: { response_processors: [{ collapse: { field: 'class_name.keyword' } }] }, query: { match: { title: 'milk' } }, ext: qc }],
];
const want = process.argv.slice(2);
for (const [k, path, b] of cases) if (!want.length || want.includes(k)) await both(k, path, b, ['os2', 'os3']);
