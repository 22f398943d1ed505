/** 30 start/stop cycles in one process (P30C_N), a photo rerank each; RSS and fds per cycle; then end by itself. */
import { sharedInferenceWorker } from '../../src/models/session-worker.js';
import { fds, rerank, rssMb, start, t } from './p30c-lib.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
const N = Number(process.env.P30C_N ?? 30);
const shared = process.env.P30C_SHARED?.startsWith('/') ? process.env.P30C_SHARED : process.env.P30C_SHARED ? mkdtempSync(join(tmpdir(), 'p30c-shared-')) : undefined;
const disk = !!process.env.P30C_DISK;
const rows: string[] = [];
for (let i = 0; i < N; i++) {
  const cacheDir = shared ?? mkdtempSync(join(tmpdir(), 'p30c-cache-'));
  const s = await start({ cacheDir, ...(disk ? { store: { disk: { path: join(cacheDir, 'store') } } } : {}) });
  if (process.env.P30C_SNAP && (i === 3 || i === 9)) { (globalThis as any).gc?.(); (globalThis as any).gc?.(); (await import('node:v8')).writeHeapSnapshot(`/tmp/p30c-${i}.heapsnapshot`); }
  const r = await rerank(s.url, 3, i % 5 === 0, i);
  const t0 = t();
  await s.close();
  rows.push(`${i}:${r.status} close=${Math.round(t() - t0)}ms rss=${rssMb()} fd=${fds()} ov=${s.services.closeOverruns.join('|')} heap=${Math.round(process.memoryUsage().heapUsed/1e6)} ext=${Math.round(process.memoryUsage().external/1e6)} w=${JSON.stringify(sharedInferenceWorker().stats())}`);
  if (i % 5 === 4 || i === 0) console.log(rows.at(-1));
}
console.log('active at end', JSON.stringify(process.getActiveResourcesInfo()));
(globalThis as any).__end = Date.now();
process.on('exit', () => console.log('exited by itself'));
