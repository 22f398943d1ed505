/**
 * A shop replaces a product's photo file in place — the same path, other bytes (held-out probe round
 * 27a). The feature record kept in the index named the photo by its path only, so every later
 * reranked search scored the old photo's features: the record's image part now carries the content
 * hash of the bytes it was made from, and a search refuses it when the file holds other bytes now.
 * Elasticsearch 8.19 and OpenSearch 2.19, real models and photos: the product's score after the
 * replacement equals that of a product written with the new photo under a path of its own — also
 * when the copy kept the file's size and mtime to the nanosecond (`cp -p`, `rsync -t`, `touch -r`):
 * a file is known unchanged by its size, mtime and ctime, which no one can set back.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, clientBulk, ENGINES, freshIndex, GROCERY_DIR, photoIngestPipeline, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { DATA } from '../../helpers/paths.js';

const INDEX = 'p27a-replaced-photo';
const photoOf = (name: string) => join(GROCERY_DIR, catalog.find((c) => c.class_name === name)!.iconic_image);
const QUERY = 'a red apple';

describe.each(ENGINES)('a photo replaced in place on %s', (engine) => {
  let p: SearchProxy;
  const dir = mkdtempSync(join(tmpdir(), 'vlr-replaced-'));
  const product = join(dir, 'product.jpg');
  const apple = join(dir, 'apple.jpg');
  const twin = join(dir, 'twin.jpg'); // the kiwi's bytes, then zeros: the size of the apple's file
  const text = { title: 'Fresh fruit of the week', description: 'picked by our staff' };
  beforeAll(async () => {
    copyFileSync(photoOf('Kiwi'), product);
    copyFileSync(photoOf('Pink-Lady'), apple);
    const kiwi = readFileSync(photoOf('Kiwi'));
    const size = statSync(apple).size;
    expect(kiwi.length).toBeLessThan(size);
    writeFileSync(twin, Buffer.concat([kiwi, Buffer.alloc(size - kiwi.length)]));
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'rp.yaml': photoIngestPipeline('rp', INDEX) }), media: { roots: [DATA, dir] } });
    await freshIndex(p, p.pipelines.get('rp')!, INDEX);
    // written through the proxy: each product stored with its feature record
    const ops = [{ index: { _index: INDEX, _id: 'product' } }, { ...text, image: product }, { index: { _index: INDEX, _id: 'reference' } }, { ...text, image: apple }, { index: { _index: INDEX, _id: 'twin' } }, { ...text, image: twin }];
    expect((await clientBulk(engine, p.url, ops)).errors).toBe(false);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`).finally(() => p?.close());
    rmSync(dir, { recursive: true, force: true });
  });

  const scores = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { ids: { values: ['product', 'reference', 'twin'] } }, ext: { vlrerank: { query: { text: QUERY }, explain: true } } }) });
    const body = (await res.json()) as any;
    expect(body.vlrerank.degraded).toBe(false);
    return Object.fromEntries(body.hits.hits.map((h: any) => [h._id, h._vlrerank.rerank_score]));
  };

  it("scores the photo the file holds now, not the record's", { timeout: 300_000 }, async () => {
    const before = await scores();
    // the kiwi against "a red apple": well below the apple
    expect(before.reference! - before.product!).toBeGreaterThan(0.03);
    copyFileSync(photoOf('Pink-Lady'), product); // the same path, the apple's bytes
    const after = await scores();
    expect(after.product).toBeCloseTo(after.reference!, 2);
    // and again, once the recomputed record is the one kept
    expect((await scores()).product).toBeCloseTo(after.reference!, 2);
  });

  it('sees a copy that kept the size and the mtime to the nanosecond', { timeout: 300_000 }, async () => {
    const before = await scores();
    expect(before.reference! - before.twin!).toBeGreaterThan(0.03);
    const kept = join(dir, 'kept-times');
    execFileSync('touch', ['-r', twin, kept]); // the twin's times, to the nanosecond
    copyFileSync(apple, twin); // the same size, the apple's bytes
    execFileSync('touch', ['-r', kept, twin]); // as `cp -p` leaves it
    expect(statSync(twin, { bigint: true }).mtimeNs).toBe(statSync(kept, { bigint: true }).mtimeNs);
    expect((await scores()).twin).toBeCloseTo(before.reference!, 2);
  });
});
