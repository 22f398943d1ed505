/**
 * Search by image with a product's own catalog photo, or a re-encoded copy of it, ranks that product
 * first (task dup25, issue 14). With the default weights and log-odds fusion (the grocery pipeline
 * without its `scorer` block, as a team's own pipeline gets), Golden-Delicious's own photo ranked
 * Granny-Smith first: image_text 0.679 vs 0.604 outweighed image_image 0.886 vs 1 (fusion.ts
 * NEAR_DUPLICATE). Real Elasticsearch 8.19, real models, the Grocery catalog through the proxy; the
 * copies are made with sharp into a temp dir.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, clientSearch, ensureGrocery, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { DATA, REPO_ROOT } from '../../helpers/paths.js';

const engine = 'elasticsearch' as const;
const INDEX = 'grocery-it';
const tmp = mkdtempSync(join(tmpdir(), 'vlr-own-photo-'));

/** The shipped grocery pipeline without its scorer: the default weights and fusion. */
function defaultsPipeline(): string {
  const text = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: grocery-defaults')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [own-photo-none]')
    .replace(/^scorer:\n(?: {2}.*\n)+/m, '');
  if (text.includes('scorer:')) throw new Error('grocery.yaml: scorer block not removed');
  return text;
}

async function top(p: SearchProxy, image: string): Promise<Array<{ id: number; score: number }>> {
  const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, _source: false, ext: { vlrerank: { pipeline: 'grocery-defaults', query: { image }, window: 20 } } } });
  expect(r.vlrerank.degraded ?? false).toBe(false);
  return r.hits.hits.map((h: any) => ({ id: Number(h._id), score: h._score }));
}

describe('search by a product\'s own photo on elasticsearch (default weights)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'grocery-defaults.yaml': defaultsPipeline() }), media: { roots: [DATA, tmp] } });
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => {
    await p?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('Golden-Delicious\'s own photo, and a JPEG copy at quality 60, rank Golden-Delicious first', async () => {
    const golden = catalog.find((c) => c.class_name === 'Golden-Delicious')!;
    const own = groceryDoc(golden).image as string;
    const copy = join(tmp, 'golden-q60.jpg');
    await sharp(own).jpeg({ quality: 60 }).toFile(copy);
    for (const image of [own, copy]) {
      const hits = await top(p, image);
      expect(hits[0]!.id, `${image}: ${JSON.stringify(hits)}`).toBe(golden.class_id);
    }
  });

  it('every product\'s own catalog photo ranks that product first', async () => {
    const misses: string[] = [];
    for (const c of catalog) {
      const hits = await top(p, groceryDoc(c).image as string);
      if (hits[0]?.id !== c.class_id) misses.push(`${c.class_name}: ${JSON.stringify(hits)}`);
    }
    expect(misses).toEqual([]);
  });
});
