// The disk tier's memo of local files (real path → size, mtime, content hash) is counted in
// `store.disk.maxBytes` and evicted with the values, oldest first (held-out probe round 13d: one
// entry per distinct file ever read, never evicted, until LMDB's map was full and the tier `down`).
// Real lmdb, real files (small generated PNGs) read through the real MediaSource; counts only.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { open as openLmdb } from 'lmdb';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { KnownMedia } from '../../../src/features/known-media.js';
import { MediaSource } from '../../../src/features/media/source.js';
import { tempStoreDir } from '../../helpers/store.js';

const dirs: Array<{ cleanup(): void }> = [];
const tiers: DiskTier[] = [];
afterEach(async () => {
  for (const t of tiers.splice(0)) await t.close();
  for (const d of dirs.splice(0)) d.cleanup();
});
const dir = (label: string) => {
  const d = tempStoreDir(label);
  dirs.push(d);
  return d.path;
};
const open = async (path: string, maxBytes: number) => {
  const t = await DiskTier.open({ path, maxBytes });
  tiers.push(t);
  return t;
};
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** `n` distinct small PNG files (a different first pixel each) in a folder of their own. */
async function photos(n: number): Promise<string[]> {
  const folder = realpathSync(dir('memo-media'));
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(4 * 4 * 3, 90);
    px.writeUInt16BE(i, 0);
    const file = join(folder, `photo-${String(i).padStart(4, '0')}.png`);
    await sharp(px, { raw: { width: 4, height: 4, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

describe('the disk tier’s memo of local files is bounded', () => {
  it('N distinct files past the budget: the memo stays within it, oldest first, the tier ok; an evicted file is hashed again', async () => {
    const N = 240;
    const BUDGET = 24_000; // a memo entry here is counted ~256 bytes (its path and 128): fewer than 94 fit
    const files = await photos(N);
    const store = dir('memo-store');
    const source = new MediaSource({ roots: [join(files[0]!, '..')], allowHosts: [], maxBytes: 1 << 20, fetchTimeoutMs: 5_000, maxRedirects: 0 });
    const disk = await open(store, BUDGET);
    const known = new KnownMedia({ memo: disk, localPath: (ref) => source.localPath(ref) });
    for (const f of files) {
      const m = await source.resolve(f);
      expect(m.contentHash).toBe(sha256(f));
      known.remember(f, m);
      await disk.flushed();
    }
    const h = disk.health();
    expect(h).toMatchObject({ state: 'ok', errors: 0, skipped: 0 });
    expect(h.bytes).toBeGreaterThan(0);
    expect(h.bytes).toBeLessThanOrEqual(BUDGET);
    const kept = files.filter((f) => disk.memoGet(f) !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(N / 2); // was N: every file ever read, uncounted
    expect(kept).toEqual(files.slice(N - kept.length)); // the newest kept, the oldest evicted
    await disk.close();
    tiers.splice(tiers.indexOf(disk), 1);

    // a restart: a file whose memo was evicted is not known — read and hashed again, the same hash
    const again = await open(store, BUDGET);
    const known2 = new KnownMedia({ memo: again, localPath: (ref) => source.localPath(ref) });
    const [oldest, newest] = [files[0]!, files[N - 1]!];
    expect(await known2.pathHash(newest)).toBe(sha256(newest));
    expect(await known2.pathHash(oldest)).toBeUndefined();
    const m = await source.resolve(oldest);
    expect(m.contentHash).toBe(sha256(oldest));
    known2.remember(oldest, m);
    await again.flushed();
    expect(again.memoGet(oldest)).toMatchObject({ contentHash: sha256(oldest) });
    expect(again.health()).toMatchObject({ state: 'ok', errors: 0 });
    expect(again.health().bytes).toBeLessThanOrEqual(BUDGET);
  });

  it('values and memo entries share one budget: a value written after many memo entries evicts the oldest memo entries first', async () => {
    const t = await open(dir('memo-mixed'), 20_000);
    for (let i = 0; i < 100; i++) t.memoSet(`/data/photos/file-${String(i).padStart(2, '0')}.jpg`, { size: i, mtimeMs: i, contentHash: `h${i}` }); // 100 × 190 bytes, then 4,010: past 20,000
    await t.flushed();
    expect(t.health().bytes).toBeGreaterThan(10_000);
    t.set('value', new Uint8Array(4_000).fill(1));
    await t.flushed();
    expect(t.health().bytes).toBeLessThanOrEqual(18_000);
    expect(t.has('value')).toBe(true);
    expect(t.memoGet('/data/photos/file-00.jpg')).toBeUndefined();
    expect(t.memoGet('/data/photos/file-99.jpg')).toEqual({ size: 99, mtimeMs: 99, contentHash: 'h99' });
  });

  it('memo entries an older version wrote uncounted are counted once at open and evicted past the budget', async () => {
    const path = dir('memo-old');
    const first = await open(path, 20_000); // creates the store as this version does
    await first.close();
    tiers.splice(tiers.indexOf(first), 1);
    // what an older version left: memo entries without stamps, not in the byte count
    const env = openLmdb({ path: join(path, 'features.mdb'), maxDbs: 8, noSubdir: true, compression: false });
    const memo = env.openDB({ name: 'memo' });
    env.openDB({ name: 'meta' }).removeSync('memoCounted');
    env.transactionSync(() => {
      for (let i = 0; i < 200; i++) memo.putSync(`/data/old/file-${String(i).padStart(3, '0')}.jpg`, { size: i, mtimeMs: i, contentHash: `h${i}` });
    });
    await env.close();
    const t = await open(path, 20_000);
    await t.flushed();
    const bytes = t.health().bytes!;
    expect(bytes).toBeGreaterThan(10_000); // was 0: uncounted
    expect(bytes).toBeLessThanOrEqual(20_000);
    const kept = Array.from({ length: 200 }, (_, i) => t.memoGet(`/data/old/file-${String(i).padStart(3, '0')}.jpg`)).filter(Boolean).length;
    expect(kept).toBeLessThan(200);
    expect(kept).toBeGreaterThan(0);
    await t.close();
    tiers.splice(tiers.indexOf(t), 1);
    const again = await open(path, 20_000); // counted once: a reopen adds nothing
    await again.flushed();
    expect(again.health().bytes).toBe(bytes);
  });
});

describe('the disk tier’s memo of URLs (fix15)', () => {
  it('a URL’s validators outlive the process, by the object’s identity, counted in the budget and evicted with the rest', async () => {
    const path = dir('memo-urls');
    const BUDGET = 40_000;
    const t = await open(path, BUDGET);
    const known = new KnownMedia({ memo: t, urlMemo: t });
    known.rememberUrl('http://objects.example/p.jpg?X-Amz-Signature=aa&X-Amz-Date=1', { etag: '"v1"', lastModified: 'Sat, 05 Dec 2026 10:00:00 GMT', contentHash: 'h1' });
    known.rememberUrl('http://objects.example/none.jpg', { contentHash: 'h0' }); // nothing to revalidate with: not kept
    await t.flushed();
    await t.close();
    tiers.splice(tiers.indexOf(t), 1);

    const again = await open(path, BUDGET);
    const fresh = new KnownMedia({ memo: again, urlMemo: again });
    // a new signature names the same object (14d's identity): its validators, as kept before the restart
    expect(fresh.url('http://objects.example/p.jpg?X-Amz-Signature=bb&X-Amz-Date=2')).toEqual({ etag: '"v1"', lastModified: 'Sat, 05 Dec 2026 10:00:00 GMT', contentHash: 'h1' });
    expect(fresh.url('http://objects.example/none.jpg')).toBeUndefined();
    expect(new KnownMedia().url('http://objects.example/p.jpg')).toBeUndefined(); // without the disk tier: memory only
    // many URLs past the budget: bounded, oldest first
    for (let i = 0; i < 400; i++) fresh.rememberUrl(`http://objects.example/${i}.jpg`, { etag: `"e${i}"`, contentHash: `h${i}` });
    await again.flushed();
    expect(again.health()).toMatchObject({ state: 'ok', errors: 0 });
    expect(again.health().bytes).toBeLessThanOrEqual(BUDGET);
    expect(again.urlMemoGet('http://objects.example/399.jpg')).toEqual({ etag: '"e399"', contentHash: 'h399' });
    expect(again.urlMemoGet('http://objects.example/0.jpg')).toBeUndefined();
  });
});
