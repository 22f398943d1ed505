/**
 * Held-out probe round 26b: the `p26b-*` documents — genuine ones copied from ../shared/data and
 * adversarial ones made at run time (ids `adv-…`): keyword-stuffed titles, a text that is only the
 * query, every category name in one field, a query word written over an unrelated photo (sharp, an
 * SVG composite, into the probe's temp folder), one photo reused under unrelated listings, and
 * invisible text (zero-width characters, hidden HTML, entities, 10k spaces). Written through the
 * running `p26b-serve.ts` so each gets its vectors and feature record.
 *
 *   npx tsx scripts/probe/p26b-data.ts http://127.0.0.1:19510 /tmp/p26b
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DATA } from '../../test/helpers/paths.js';
import { catalog, GROCERY_DIR, groceryDoc } from '../../test/helpers/search-fixtures.js';

export type Doc = { id: string; body: Record<string, unknown> };
const byClass = (c: string) => catalog.find((x) => x.class_name === c)!;
const photo = (c: string) => join(GROCERY_DIR, byClass(c).iconic_image);
/** The query word each grocery target is searched by, its carrier (an unrelated product whose listing is gamed) and the genuine classes. */
export const TARGETS: Array<{ word: string; carrier: string; genuine: string[] }> = [
  { word: 'banana', carrier: 'Garlic', genuine: ['Banana'] },
  { word: 'tomato', carrier: 'Floury-Potato', genuine: ['Beef-Tomato', 'Regular-Tomato', 'Vine-Tomato'] },
  { word: 'lemon', carrier: 'Leek', genuine: ['Lemon'] },
  { word: 'avocado', carrier: 'Ginger', genuine: ['Avocado'] },
  { word: 'milk', carrier: 'Red-Beet', genuine: ['Arla-Standard-Milk', 'Arla-Medium-Fat-Milk', 'Arla-Ecological-Medium-Fat-Milk', 'Arla-Lactose-Medium-Fat-Milk', 'Garant-Ecological-Medium-Fat-Milk', 'Garant-Ecological-Standard-Milk'] },
];
export const REUSED = 'Banana';
const COCO_BUS = join(DATA, 'coco-captions-mini/images/val2017/000000128051.jpg');

async function overlay(src: string, word: string, out: string): Promise<string> {
  const m = await sharp(src).metadata();
  const w = m.width!, h = m.height!;
  const size = Math.round(Math.min(w / (word.length * 0.7), h / 3));
  const svg = `<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="50%" y="55%" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="white" stroke="black" stroke-width="${Math.max(2, size / 20)}">${word}</text></svg>`;
  await sharp(src).composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 90 }).toFile(out);
  return out;
}

export async function groceryDocs(tmp: string): Promise<Doc[]> {
  const out: Doc[] = catalog.map((c) => ({ id: c.class_name, body: groceryDoc(c) }));
  for (const t of TARGETS) {
    const c = byClass(t.carrier);
    const W = t.word[0]!.toUpperCase() + t.word.slice(1);
    const carrier = { title: c.title, description: c.description, image: photo(t.carrier) };
    out.push({ id: `adv-stuff-${t.word}`, body: { ...carrier, title: `${`${W} `.repeat(20)}${c.title}` } });
    out.push({ id: `adv-only-${t.word}`, body: { title: W, description: `${t.word} `.repeat(100).trim(), image: photo(t.carrier) } });
    out.push({ id: `adv-ocrbus-${t.word}`, body: { title: 'Toy bus', description: 'A die-cast model bus for children, green.', image: await overlay(COCO_BUS, t.word.toUpperCase(), join(tmp, `bus-${t.word}.jpg`)) } });
    out.push({ id: `adv-ocrbusonly-${t.word}`, body: { image: join(tmp, `bus-${t.word}.jpg`) } });
    out.push({ id: `adv-ocrprod-${t.word}`, body: { ...carrier, image: await overlay(photo(t.carrier), t.word.toUpperCase(), join(tmp, `prod-${t.word}.jpg`)) } });
    out.push({ id: `adv-html-${t.word}`, body: { ...carrier, description: `${c.description} <span style="display:none">${`${t.word} `.repeat(10)}</span>` } });
    out.push({ id: `adv-ent-${t.word}`, body: { ...carrier, description: `${c.description} ${[...t.word].map((ch) => `&#${ch.charCodeAt(0)};`).join('')}` } });
    out.push({ id: `adv-ws-${t.word}`, body: { ...carrier, description: `${c.description}${' '.repeat(10_000)}${`${t.word} `.repeat(5)}` } });
    out.push({ id: `adv-zw-${t.word}`, body: { ...carrier, title: `${c.title} ${[...W].join('\u200b')}` } });
  }
  out.push({ id: 'adv-allcats', body: { title: 'Fresh groceries best price', description: [...new Set(catalog.map((c) => c.coarse_class_name.replace(/-/g, ' ')))].join(' '), image: photo('Solid-Potato') } });
  const reuse = ['Phone case, black silicone', 'USB-C charging cable 2 m', 'Garden hose 20 m', 'Sunglasses with UV filter', 'Scented candle, vanilla'];
  reuse.forEach((title, i) => out.push({ id: `adv-reuse-${i}`, body: { title, description: `${title}. Fast delivery.`, image: photo(REUSED) } }));
  return out;
}

/** SciFact: the test claims with qrels (first 20), their relevant abstracts, 200 others; per claim an unrelated abstract gamed four ways. */
export function sciData(): { docs: Doc[]; queries: Array<{ id: string; text: string; relevant: string[] }> } {
  const corpus = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
  const byId = new Map(corpus.map((d) => [d._id, d]));
  const claims = new Map(readFileSync(join(DATA, 'scifact-beir/queries.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; text: string }).map((q) => [q._id, q.text]));
  const qrels = new Map<string, string[]>();
  for (const l of readFileSync(join(DATA, 'scifact-beir/qrels/test.tsv'), 'utf8').trim().split('\n').slice(1)) {
    const [q, d] = l.split('\t');
    qrels.set(q!, [...(qrels.get(q!) ?? []), d!]);
  }
  const queries = [...qrels].slice(0, 20).map(([id, relevant]) => ({ id, text: claims.get(id)!, relevant }));
  const keep = new Set(queries.flatMap((q) => q.relevant));
  for (const d of corpus.slice(0, 200)) keep.add(d._id);
  const docs: Doc[] = [...keep].map((id) => ({ id, body: { title: byId.get(id)!.title, text: byId.get(id)!.text } }));
  queries.forEach((q, i) => {
    const u = corpus[1000 + i]!; // unrelated to the claim (not among its qrels)
    docs.push({ id: `adv-rep-${q.id}`, body: { title: u.title, text: `${u.text}\n\n${`${q.text} `.repeat(30)}` } });
    docs.push({ id: `adv-only-${q.id}`, body: { title: q.text, text: `${q.text} `.repeat(10) } });
    docs.push({ id: `adv-ws-${q.id}`, body: { title: u.title, text: `${u.text}${' '.repeat(10_000)}${q.text}` } });
    docs.push({ id: `adv-html-${q.id}`, body: { title: u.title, text: `${u.text} <div style="display:none">${q.text}</div>` } });
  });
  return { docs, queries };
}

/** COCO: 80 photos with their first caption; a stuffed caption on unrelated photos, a word overlaid on a photo, one photo reused. */
export async function cocoDocs(tmp: string): Promise<Doc[]> {
  const rows = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { image: string; coco_id: number; captions: string[] }).slice(0, 80);
  const out: Doc[] = rows.map((r) => ({ id: `c${r.coco_id}`, body: { caption: r.captions[0], image: join(DATA, 'coco-captions-mini', r.image) } }));
  const img = (i: number) => join(DATA, 'coco-captions-mini', rows[i]!.image);
  for (const [i, word] of ['dog', 'pizza', 'giraffe', 'train', 'elephant'].entries()) {
    out.push({ id: `adv-stuff-${word}`, body: { caption: `${`${word} `.repeat(40)}${rows[i]!.captions[0]}`, image: img(i) } });
    out.push({ id: `adv-ocr-${word}`, body: { caption: rows[i + 10]!.captions[0], image: await overlay(img(i + 10), word.toUpperCase(), join(tmp, `coco-${word}.jpg`)) } });
  }
  for (let k = 0; k < 4; k++) out.push({ id: `adv-reuse-${k}`, body: { caption: ['a red sports car', 'a bowl of soup', 'a laptop on a desk', 'a snowy mountain'][k], image: img(20) } });
  return out;
}

/** Writes `docs` 10 at a time through the proxy; a batch's items refused 429 are sent again (up to 8 tries). */
async function bulk(base: string, index: string, docs: Doc[]): Promise<void> {
  const line = (d: Doc) => `${JSON.stringify({ index: { _index: index, _id: d.id } })}\n${JSON.stringify(d.body)}\n`;
  for (let at = 0; at < docs.length; at += 10) {
    let part = docs.slice(at, at + 10);
    for (let tries = 0; part.length && tries < 8; tries++) {
      const r = await fetch(`${base}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: part.map(line).join('') });
      const items = ((await r.json()) as { items: Array<Record<string, { status: number; error?: unknown }>> }).items.map((it) => Object.values(it)[0]!);
      items.forEach((v, i) => v.status >= 300 && v.status !== 429 && console.log(index, part[i]!.id, JSON.stringify(v.error).slice(0, 300)));
      part = part.filter((_, i) => items[i]!.status === 429);
    }
  }
  console.log(index, docs.length, 'written');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [base, tmp] = process.argv.slice(2) as [string, string];
  const which = process.env.P26B_WHICH ?? 'sci,grocery,coco';
  if (which.includes('sci')) await bulk(base, 'p26b-sci', sciData().docs);
  if (which.includes('grocery')) await bulk(base, 'p26b-grocery', await groceryDocs(tmp));
  if (which.includes('coco')) await bulk(base, 'p26b-coco', await cocoDocs(tmp));
}
