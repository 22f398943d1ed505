/**
 * Task dup25: the EfficientNet cosines behind fusion.ts NEAR_DUPLICATE — each Grocery catalog photo to
 * the nearest other product's photo, each near copy (d25-own-photo.ts `nearCopy`, made in a temp dir) to
 * its own photo, each of the 405 in-store photos to its own product's and to the nearest other catalog photo.
 *   npx tsx scripts/probe/d25-cosines.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reranker } from '../../src/index.js';
import { RerankerEmbedder } from '../../src/rerank/embedder.js';
import { catalog, groceryDoc, groceryQueries } from '../../test/helpers/search-fixtures.js';
import { MODELS, DATA } from '../../test/helpers/paths.js';
import { nearCopy } from './d25-copies.js';
const r = new Reranker({ modelsDir: MODELS, mediaRoots: [DATA, '/tmp'] });
const e = new RerankerEmbedder(r);
const dot = (a: Float32Array, b: Float32Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const tmp = mkdtempSync(join(tmpdir(), 'd25c-'));
const cat = new Map<number, Float32Array>();
for (const c of catalog) cat.set(c.class_id, await e.visual(groceryDoc(c).image as string, 'image'));
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(4); };
const other: number[] = [];
for (const c of catalog) { let m = -1; for (const o of catalog) if (o.class_id !== c.class_id) m = Math.max(m, dot(cat.get(c.class_id)!, cat.get(o.class_id)!)); other.push(m); }
console.log('catalog→nearest other catalog: min', q(other, 0), 'median', q(other, 0.5), 'p90', q(other, 0.9), 'max', q(other, 0.999));
for (const kind of ['own', 'q60', 'half', 'crop10']) {
  const xs: number[] = [];
  for (const c of catalog) xs.push(dot(await e.visual(await nearCopy(groceryDoc(c).image as string, kind, tmp, String(c.class_id)), 'image'), cat.get(c.class_id)!));
  console.log(kind, '→ own catalog: min', q(xs, 0), 'p10', q(xs, 0.1), 'median', q(xs, 0.5));
}
const own: number[] = []; const oth: number[] = [];
for (const g of groceryQueries(1)) { const v = await e.visual(g.image, 'image'); let m = -1; for (const [id, cv] of cat) { const d = dot(v, cv); if (id === g.classId) own.push(d); else m = Math.max(m, d); } oth.push(m); }
console.log('in-store → own catalog: median', q(own, 0.5), 'p90', q(own, 0.9), 'p99', q(own, 0.99), 'max', q(own, 0.999));
console.log('in-store → best other catalog: median', q(oth, 0.5), 'p99', q(oth, 0.99), 'max', q(oth, 0.999));
await r.close();
rmSync(tmp, { recursive: true, force: true });
process.exit(0);
