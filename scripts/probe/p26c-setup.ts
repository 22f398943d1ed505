/**
 * Held-out probe round 26c (search as you type): fills `p26c-g` through running vlrerank servers
 * with the 81 Grocery products (title, description, photo), each also as `name` (a
 * `search_as_you_type` field on OpenSearch, a text field with `index_prefixes` on the thin
 * Elasticsearch build, which has no mapper-extras) and `suggest` (a `completion` field). Run
 * `vlrerank index setup p26c-g`, then add those two fields with `PUT p26c-g/_mapping`, first.
 *
 *   npx tsx scripts/probe/p26c-setup.ts http://127.0.0.1:19520 http://127.0.0.1:19521
 */
import { join } from 'node:path';
import { root, rows } from './p26c-lib.js';

for (const base of process.argv.slice(2)) {
  for (let at = 0; at < rows.length; at += 27) {
    const nd = rows
      .slice(at, at + 27)
      .map((r) => `${JSON.stringify({ index: { _index: 'p26c-g', _id: r.class_name } })}\n${JSON.stringify({ title: r.title, description: r.description, name: r.title, suggest: r.title, image: join(root, r.iconic_image) })}\n`)
      .join('');
    const r = await fetch(`${base}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const j = (await r.json()) as { errors: boolean; items: unknown[] };
    console.log(base, at, r.status, j.errors, j.items?.length);
  }
}
