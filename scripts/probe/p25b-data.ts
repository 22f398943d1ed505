/**
 * Held-out probe round 25b (the same question, the same answer): the documents of `p25b-mix`, made
 * from ../shared/data — 30 Grocery products (title, description, photo), exact duplicates that must
 * tie (one product three times over, one photo under two other texts, one text-only document twice),
 * text-only SciFact abstracts and Intel clips (title + video). Written through a running vlrerank so
 * each document gets its feature record. Run `vlrerank index setup p25b-mix` against the engine first.
 *
 *   npx tsx scripts/probe/p25b-data.ts http://127.0.0.1:19550 [more servers…]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA } from '../../test/helpers/paths.js';

const g = join(DATA, 'grocery-store-products');
const rows = readFileSync(join(g, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
const sci = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').trim().split('\n').slice(0, 10).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
const clips = readdirSync(join(DATA, 'intel-sample-videos/clips')).filter((f) => f.endsWith('.mp4')).sort().slice(0, 6);

export type Body = { title: string; description?: string; image?: string; video?: string };

export function docs(): { id: string; body: Body }[] {
  const out: { id: string; body: Body }[] = [];
  const product = (r: (typeof rows)[number]): Body => ({ title: r.title, description: r.description, image: join(g, r.iconic_image) });
  for (const r of rows.slice(0, 30)) out.push({ id: r.class_name, body: product(r) });
  // exact duplicates of product 0: same title, description and photo — must tie exactly
  for (const s of ['a', 'b', 'c']) out.push({ id: `dup-${s}`, body: product(rows[0]!) });
  // product 1's photo under two other texts; a text-only document twice
  out.push({ id: 'photo-dup-1', body: { title: 'green apple from Italy', image: join(g, rows[1]!.iconic_image) } });
  out.push({ id: 'photo-dup-2', body: { title: 'green apple from Italy', image: join(g, rows[1]!.iconic_image) } });
  out.push({ id: 'text-dup-1', body: { title: 'apple juice', description: 'Fresh pressed apple juice without added sugar.' } });
  out.push({ id: 'text-dup-2', body: { title: 'apple juice', description: 'Fresh pressed apple juice without added sugar.' } });
  for (const d of sci) out.push({ id: `sci-${d._id}`, body: { title: d.title, description: d.text } });
  for (const c of clips) out.push({ id: `clip-${c.replace(/\.mp4$/, '')}`, body: { title: c.replace(/\.mp4$/, '').replace(/-/g, ' '), video: join(DATA, 'intel-sample-videos/clips', c) } });
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const index = process.env.P25B_INDEX ?? 'p25b-mix';
  for (const base of process.argv.slice(2)) {
    const all = docs();
    // items refused 429 (the _bulk's time budget on a loaded machine) are sent again, as the clients' helpers do
    let todo = all;
    for (let round = 0; todo.length && round < 8; round++) {
      const again: typeof all = [];
      for (let at = 0; at < todo.length; at += 10) {
        const part = todo.slice(at, at + 10);
        const nd = part.map((d) => `${JSON.stringify({ index: { _index: index, _id: d.id } })}\n${JSON.stringify(d.body)}\n`).join('');
        const r = await fetch(`${base}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
        const j = (await r.json()) as { items: Array<Record<string, { status: number; error?: unknown }>> };
        j.items.forEach((it, i) => {
          const v = Object.values(it)[0]!;
          if (v.status === 429) again.push(part[i]!);
          else if (v.status >= 300) console.log(base, part[i]!.id, JSON.stringify(v.error));
        });
      }
      console.log(base, `round ${round}: ${todo.length} sent, ${again.length} to send again`);
      todo = again;
    }
  }
}
