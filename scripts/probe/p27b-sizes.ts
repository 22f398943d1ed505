/** Held-out probe round 27b: phone-sized query photos (12 MP JPEG with sensor-like noise, 2–12 MB) as base64 and data: through `p27b-serve.ts`; a HEIC header. */
import sharp from 'sharp';
import { groceryQueries } from '../../test/helpers/search-fixtures.js';

const URL_ = process.env.P27B_URL ?? 'http://127.0.0.1:19592';
const src = groceryQueries(50)[3]!.image;
const noisy = async (sigma: number, q: number) => {
  const base = await sharp(src).resize(4000, 3000, { fit: 'fill' }).raw().toBuffer();
  for (let i = 0; i < base.length; i++) base[i] = Math.max(0, Math.min(255, base[i]! + Math.round((Math.random() - 0.5) * sigma)));
  return sharp(base, { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: q }).toBuffer();
};
const heic = Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(2000, 7)]);
const cases: Array<[string, string]> = [];
for (const [s, q] of [[20, 85], [40, 92], [60, 97], [90, 100]] as const) {
  const b = await noisy(s, q);
  cases.push([`12MP noise ${s} q${q} ${(b.length / 1e6).toFixed(1)} MB base64`, b.toString('base64')]);
  cases.push([`12MP noise ${s} q${q} ${(b.length / 1e6).toFixed(1)} MB data:`, `data:image/jpeg;base64,${b.toString('base64')}`]);
}
cases.push(['HEIC header', heic.toString('base64')]);
for (const [name, image] of cases) {
  for (const [route, body] of [['search', { size: 3, _source: false, ext: { vlrerank: { query: { image }, window: 20 } } }], ['v1', { query: { image }, documents: ['a', 'b'] }]] as const) {
    const t0 = Date.now();
    const r = await fetch(URL_ + (route === 'search' ? '/p27b-grocery/_search' : '/v1/rerank'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const t = await r.text();
    console.log(`${name} ${route}: ${r.status} ${Date.now() - t0} ms ${r.status === 200 ? '' : t.slice(0, 260)}`);
  }
}
