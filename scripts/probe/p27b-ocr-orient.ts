/** Held-out probe round 27b: what OCR reads on a query photo as each EXIF orientation copy (p27b-copies.ts), through `p27b-serve.ts`. */
import { mkdirSync } from 'node:fs';
import { queryCopy } from './p27b-copies.js';

const dir = '/tmp/p27b/o';
mkdirSync(dir, { recursive: true });
for (const src of process.argv.slice(2)) {
  for (const kind of ['clean', 'exif3', 'exif6', 'exif8']) {
    const buf = await queryCopy(src, kind, dir, 'o');
    const r = await fetch('http://127.0.0.1:19590/p27b-grocery/_search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 1, _source: false, ext: { vlrerank: { query: { image: buf.toString('base64') }, window: 20, explain: true } } }) });
    const b: any = await r.json();
    const ocr = b.hits.hits[0]._vlrerank.explanation.signals.find((s: any) => s.name === 'image_ocr_text');
    console.log(kind, r.status, b.hits.hits[0]._id, JSON.stringify(ocr?.detail?.ocr_text ?? null));
  }
}
