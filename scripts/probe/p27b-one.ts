/** Held-out probe round 27b: one in-store photo as is and as a 12-megapixel JPEG, twice each, through `p27b-serve.ts`: timings and OCR. */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const src = process.argv[2]!;
const big = (q: number) => sharp(src).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: q }).toBuffer();
for (const [name, buf] of [['native', readFileSync(src)], ['12mp', await big(92)], ['native', readFileSync(src)], ['12mp-b', await big(91)]] as Array<[string, Buffer]>) {
  const t = Date.now();
  const r = await fetch('http://127.0.0.1:19590/p27b-grocery/_search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 3, _source: false, ext: { vlrerank: { query: { image: buf.toString('base64') }, window: 20, explain: true } } }) });
  const b: any = await r.json();
  const ocr = b.hits.hits[0]._vlrerank.explanation.signals.find((s: any) => s.name === 'image_ocr_text');
  console.log(name, (buf.length / 1e6).toFixed(2), 'MB', r.status, Date.now() - t, 'ms', JSON.stringify(b.vlrerank.timings), b.hits.hits.map((h: any) => h._id).join(','), ocr ? JSON.stringify(ocr).slice(0, 150) : 'no ocr signal');
}
