/**
 * Held-out probe round 24a (clients on bad networks): fills `p24a-g` through a running vlrerank
 * (ES 8.19 behind one, OpenSearch 2.19 behind the other) with the Grocery catalog four times over
 * (324 documents, the 81 photos computed once each), every document carrying a 24 KB `pad` text
 * so a window of 300 hits is a ~8 MB answer. Run `vlrerank index setup p24a-g` first.
 *
 *   npx tsx scripts/probe/p24a-setup.ts http://127.0.0.1:19516 http://127.0.0.1:19517
 */
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const root = join(DATA, 'grocery-store-products');
const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
const words = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').slice(0, 400_000).replace(/[^a-z ]/gi, ' ').split(/\s+/).filter(Boolean);

export function docs(): { id: string; body: Record<string, unknown> }[] {
  const out: { id: string; body: Record<string, unknown> }[] = [];
  for (let copy = 0; copy < 4; copy++)
    for (const [i, r] of rows.entries()) {
      let pad = '';
      for (let k = (i * 97 + copy * 13) % words.length; pad.length < 24_000; k = (k + 1) % words.length) pad += words[k] + ' ';
      out.push({ id: `${r.class_name}-${copy}`, body: { title: r.title, description: r.description, image: join(root, r.iconic_image), pad: `apple ${pad}` } });
    }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const base of process.argv.slice(2)) {
    const all = docs();
    for (let at = 0; at < all.length; at += 27) {
      const nd = all.slice(at, at + 27).map((d) => `${JSON.stringify({ index: { _index: 'p24a-g', _id: d.id } })}\n${JSON.stringify(d.body)}\n`).join('');
      const r = await fetch(`${base}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
      const j = (await r.json()) as { errors: boolean; items: unknown[] };
      console.log(base, at, r.status, j.errors, j.items?.length);
    }
  }
}
