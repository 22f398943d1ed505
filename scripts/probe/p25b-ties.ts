/**
 * Held-out probe round 25b: ties. A photo query on `p25b-vec` (kNN first stage; fusion none, and a
 * `blend` with the kNN score) where a product and its three exact copies must tie, on every server and paged; a `match_all` first stage where every
 * hit ties in the engine (score 1) and the window is smaller than the index, paged by 5 across the
 * window's end — no hit twice, none missing; `search_after` asked beside a rerank.
 *
 *   npx tsx scripts/probe/p25b-ties.ts http://127.0.0.1:19550 http://127.0.0.1:19551 http://127.0.0.1:19552 http://127.0.0.1:19553
 */
import { check, differ, fmt, msearch, results, search, type Hit } from './p25b-lib.js';
import { docs } from './p25b-data.js';

const bases = process.argv.slice(2);
const names = ['A', 'B', 'C', 'D'];
const all = docs();
const photo0 = all[0]!.body.image!;
const photo1 = all[1]!.body.image!;

for (const pipeline of ['p25bv', 'p25bvb'])
for (const [qi, photo] of [photo0, photo1].entries()) {
  let ref: Hit[] | undefined;
  for (const [k, base] of bases.entries()) {
    const body = (from: number, size: number) => ({ from, size, ext: { vlrerank: { pipeline, query: { image: photo } } } });
    const one = await search(base, body(0, 12), '/p25b-vec/_search');
    if (one.status !== 200) {
      check(`${pipeline} photo ${qi} on ${names[k]}`, `status ${one.status} ${JSON.stringify(one.body).slice(0, 300)}`);
      continue;
    }
    console.log(names[k], fmt(one.hits.slice(0, 6)));
    const copies = qi === 0 ? [all[0]!.id, 'dup-a', 'dup-b', 'dup-c'] : [all[1]!.id, 'photo-dup-1', 'photo-dup-2'];
    const at = one.hits.findIndex((h) => copies.includes(h.id));
    const top = one.hits.slice(at, at + copies.length);
    // the copies tie, side by side (another product's text can outrank the photo itself: image_text)
    if (qi === 0) check(`${pipeline} photo ${qi} on ${names[k]}: the ${copies.length} copies tie side by side`, top.every((h) => h.score === top[0]!.score) && top.every((h) => copies.includes(h.id)) ? '' : fmt(top));
    else check(`${pipeline} photo ${qi} on ${names[k]}: the ${copies.length} photos lead`, top.every((h) => copies.includes(h.id)) ? '' : fmt(top));
    const pages: Hit[] = [];
    for (let from = 0; from < 12; from += 3) pages.push(...(await search(base, body(from, 3), '/p25b-vec/_search')).hits);
    check(`${pipeline} photo ${qi} on ${names[k]}: pages of 3 = one page of 12`, differ(one.hits, pages));
    const [m] = await msearch(base, [body(0, 12)].map((b) => b), );
    void m;
    if (ref) check(`${pipeline} photo ${qi}: A = ${names[k]}`, differ(ref, one.hits));
    else ref = one.hits;
  }
}

// match_all: every hit ties in the engine; window 10 of 53, pages of 5 across its end
for (const [k, base] of bases.entries()) {
  for (const pipeline of ['p25bn', 'p25b']) {
    const body = (from: number, size: number) => ({ from, size, query: { match_all: {} }, ext: { vlrerank: { pipeline, query: { text: 'apple' }, } } });
    const pages: Hit[] = [];
    let bad = '';
    for (let from = 0; from < 60; from += 5) {
      const r = await search(base, body(from, 5));
      if (r.status !== 200) bad = `status ${r.status} at from ${from}: ${JSON.stringify(r.body).slice(0, 200)}`;
      pages.push(...r.hits);
    }
    const ids = pages.map((h) => h.id);
    check(`match_all ${pipeline} on ${names[k]}: pages of 5 across window 50 give 53 once each`, bad || (ids.length === 53 && new Set(ids).size === 53 ? '' : `${ids.length} hits, ${new Set(ids).size} distinct`));
    const again: Hit[] = [];
    for (let from = 0; from < 60; from += 5) again.push(...(await search(base, body(from, 5))).hits);
    check(`match_all ${pipeline} on ${names[k]}: paged twice alike`, differ(pages, again));
  }
}

// search_after beside a rerank: documented as a 400 (sort with a rerank)
for (const [k, base] of bases.entries()) {
  const r = await search(base, { size: 5, sort: [{ _score: 'desc' }, { _id: 'asc' }], search_after: [1, 'x'], ext: { vlrerank: { pipeline: 'p25bn', query: { text: 'apple' } } } });
  check(`search_after with a rerank on ${names[k]}: ES-shaped 400`, r.status === 400 && r.body?.error?.type && r.body?.status === 400 ? '' : `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
}
console.log(`\n${results.filter((r) => !r.ok).length} differences of ${results.length} probes`);
