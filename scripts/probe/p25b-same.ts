/**
 * Held-out probe round 25b: the same reranked search asked many ways must give the same order and
 * the same scores. Servers (see docs/RELIABILITY.md's row): A and B on Elasticsearch 8.19 sharing a
 * Redis (A wrote the documents, B never saw them), C on OpenSearch 2.19, D on Elasticsearch 9.2; each
 * engine holds `p25b-mix` (scripts/probe/p25b-data.ts).
 *
 *   npx tsx scripts/probe/p25b-same.ts http://127.0.0.1:19550 http://127.0.0.1:19551 http://127.0.0.1:19552 http://127.0.0.1:19553
 */
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';
import { ask, check, differ, fmt, msearch, rerankApi, results, search, type Hit } from './p25b-lib.js';
import { docs } from './p25b-data.js';

const [A, B, C, D] = process.argv.slice(2) as [string, string, string, string];
const queries = ['apple', 'green apple', 'apple juice', 'car detection', 'bottle', 'sweet fruit for desserts', 'protein in cells'];
const photo0 = join(DATA, 'grocery-store-products', docs()[0]!.body.image!.split('grocery-store-products/')[1]!);

for (const q of queries) {
  for (const pipeline of ['p25bn', 'p25b']) {
    const body = ask(q, { size: 20 }, { pipeline });
    const a1 = await search(A, body);
    const a2 = await search(A, body);
    check(`${pipeline} "${q}": A twice`, a1.status !== 200 ? `status ${a1.status} ${JSON.stringify(a1.body).slice(0, 300)}` : differ(a1.hits, a2.hits));
    const b = await search(B, body);
    check(`${pipeline} "${q}": A vs replica B`, differ(a1.hits, b.hits));
    const c = await search(C, body);
    const d = await search(D, body);
    check(`${pipeline} "${q}": ES 8.19 vs OS 2.19`, differ(a1.hits, c.hits));
    check(`${pipeline} "${q}": ES 8.19 vs ES 9.2`, differ(a1.hits, d.hits));
    const ex = await search(A, ask(q, { size: 20 }, { pipeline, explain: true }));
    check(`${pipeline} "${q}": explain on vs off`, differ(a1.hits, ex.hits));
    const [m1, m2] = await msearch(A, [body, ask(q, { size: 20 }, { pipeline: pipeline === 'p25b' ? 'p25bn' : 'p25b' })]);
    check(`${pipeline} "${q}": _search vs _msearch`, differ(a1.hits, m1!.hits));
    // pages of 5 stitched vs one page of 50 (the window is 50 either way)
    const big = await search(A, ask(q, { size: 50 }, { pipeline }));
    const pages: Hit[] = [];
    for (let from = 0; from < 50; from += 5) pages.push(...(await search(A, ask(q, { size: 5, from }, { pipeline }))).hits);
    check(`${pipeline} "${q}": pages of 5 = one page of 50`, differ(big.hits, pages));
    const ids = pages.map((h) => h.id);
    check(`${pipeline} "${q}": pages repeat nothing`, ids.length === new Set(ids).size ? '' : `repeated ${ids.filter((x, i) => ids.indexOf(x) !== i)}`);
    void m2;
  }
}

// a photo query: product 0's photo — itself and its 3 exact duplicates must tie, in first-stage order
for (const base of [A, B, C, D]) {
  const r = await search(base, { size: 10, ext: { vlrerank: { pipeline: 'p25bn', query: { image: photo0 } } } });
  console.log(base, 'photo', r.status, fmt(r.hits.slice(0, 6)), JSON.stringify(r.vlrerank ?? r.body).slice(0, 300));
}

console.log(`\n${results.filter((r) => !r.ok).length} differences of ${results.length} probes`);
