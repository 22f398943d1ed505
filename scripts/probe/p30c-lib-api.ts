/** The library API: 20 Reranker lifetimes in one process (P30C_N), a photo+clip process() each, close() while one is in flight; RSS/fds; then end by itself. */
import { Reranker } from '../../src/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS, DATA } from '../../test/helpers/paths.js';
import { CLIPS, PHOTOS, fds, rssMb, t } from './p30c-lib.js';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
const N = Number(process.env.P30C_N ?? 20);
const disk = !!process.env.P30C_DISK;
for (let i = 0; i < N; i++) {
  if (process.env.P30C_SNAP && (i === 4 || i === 12)) { for (let k = 0; k < 3; k++) { (globalThis as any).gc?.(); await new Promise((res) => setTimeout(res, 30)); } (await import('node:v8')).writeHeapSnapshot(`/tmp/p30c-lib-${i}.heapsnapshot`); console.log('snap heap', Math.round(process.memoryUsage().heapUsed / 1e6)); }
  const dir = mkdtempSync(join(tmpdir(), 'p30c-lib-'));
  const r = new Reranker({ modelsDir: MODELS, mediaRoots: [DATA], cacheDir: dir, ...(disk ? { store: { disk: { path: join(dir, 'store') } } } : {}) } as any);
  const docs = [{ text: 'apple', image: PHOTOS[i % PHOTOS.length] }, { text: 'pear', image: PHOTOS[(i + 7) % PHOTOS.length] }, ...(i % 4 === 0 ? [{ text: 'clip', video: CLIPS[i % CLIPS.length] }] : [])];
  const p = r.process({ query: { text: 'green apple' }, documents: docs } as any).then((o: any) => `ok ${o.results?.length}`, (e: any) => `ERR ${e.code ?? ''} ${e.message}`.slice(0, 160));
  if (i % 2 === 1) await new Promise((res) => setTimeout(res, 200)); // close mid-process on odd lifetimes
  else await p;
  const t0 = t();
  await r.close();
  const ms = Math.round(t() - t0);
  console.log(i, await p, `close=${ms}ms rss=${rssMb()} fd=${fds()} heap=${Math.round(process.memoryUsage().heapUsed / 1e6)}`);
}
console.log('active', JSON.stringify(process.getActiveResourcesInfo()));
process.on('exit', () => console.log('exited by itself'));
