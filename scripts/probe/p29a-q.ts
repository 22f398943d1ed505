/** Held-out probe round 29a: a URI search's `?q=` beside a reranked body (npx tsx scripts/probe/p29a-q.ts). */
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';
import { both } from './p29a-lib.js';
const show = (j: any) => ({ qt: j.vlrerank?.query_text, ids: j.hits?.hits?.map((h: any) => h._id) });
await both('?q=pepper body match apple, ext no text', '/p29a-g/_search?q=title:pepper', { query: { match: { title: 'apple' } }, size: 5, ext: { vlrerank: { explain: true } } }, { show });
await both('?q=pepper ext no text', '/p29a-g/_search?q=pepper', { size: 5, ext: { vlrerank: { explain: true } } }, { show });
await both('?q=pepper + knn body', '/p29a-g/_search?q=pepper', { size: 5, ext: { vlrerank: { query: { text: 'red pepper' }, explain: true } } }, { show });
const photo = join(DATA, 'grocery-store-products/queries/test/Vegetables/Pepper/Green-Bell-Pepper/Green-Bell-Pepper_002.jpg');
await both('?q=pepper + photo query', '/p29a-g/_search?q=pepper', { size: 5, ext: { vlrerank: { query: { image: photo } } } }, { show });
await both('photo query + body query pepper', '/p29a-g/_search', { size: 5, query: { match: { title: 'pepper' } }, ext: { vlrerank: { query: { image: photo } } } }, { show });
await both('?q=&df&default_operator + photo', '/p29a-g/_search?q=bell%20pepper&df=title&default_operator=AND&lenient=true', { size: 5, ext: { vlrerank: { query: { image: photo } } } }, { show });
await both('?q= bad default_operator + photo', '/p29a-g/_search?q=pepper&default_operator=XOR', { size: 5, ext: { vlrerank: { query: { image: photo } } } }, { show });
const retr = { retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { title: 'apple' } } } }, field: 'title', inference_text: 'green apple', rank_window_size: 20 } }, size: 3 };
await both('?q= + text_similarity_reranker', '/p29a-g/_search?q=title:pepper', retr, { only: ['es8', 'es9'], show });
await both('?q= + search_pipeline (OS)', '/p29a-g/_search?q=title:pepper&search_pipeline=p29a', { size: 3, query: { match: { title: 'apple' } } }, { only: ['os2'], show });
