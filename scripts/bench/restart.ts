/**
 * `npm run bench:restart`: what a restart of vlrerank costs on the media demo indices (issue 12:
 * "after a restart, the first reranked search on the videos, COCO and Grocery indices computes no
 * media feature and its rerank stage takes ≤ 1.5× the second identical search's").
 *
 * Builds (or reuses) `grocery-restart-bench`, `coco-restart-bench` and `videos-restart-bench`
 * through a `vlrerank serve` process with the shipped pipelines (each document gets its feature
 * record in the index on the way in), stops it, starts a fresh one — with no disk tier, so whatever
 * it does not compute can only come from the index — and sends each index a reranked search, then
 * the same search again. Prints the image/video model runs the first search cost
 * (`vlrerank_model_runs_total`) and its rerank stage (`vlrerank.timings.rerank_ms`) as a ratio of the
 * second's. Ratios of one run, never fixed thresholds.
 *
 *   npm run bench:restart [-- --engine http://127.0.0.1:19200 --restarts 3 --clean --cpu-profile DIR]
 *
 * `--restarts N` (default 3): N fresh processes one after another; each sends every index its first
 * search and then the same search three more times (the "second" is the median of those three). One
 * search is one sample of a noisy machine (single second searches vary by ×3 between runs), so the
 * table gives each index's median ratio over the restarts and the range.
 *
 * `--cpu-profile DIR`: the restarted process (the one measured) writes a V8 CPU profile there when
 * it stops: what its first searches pay that the second ones do not.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureDemoIndices, type DemoIndexName } from '../demo/indices.js';
import { loadPipelines } from '../../src/pipelines/index.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { spawnServe } from './serve-process.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const ENGINE = arg('--engine', 'http://127.0.0.1:19200');
const PROFILE = arg('--cpu-profile', '');
const RESTARTS = Math.max(1, Number(arg('--restarts', '3')));
const AGAIN = 3;
const REPO = resolve(import.meta.dirname, '../..');
const SHARED = resolve(REPO, '../shared');
const SUFFIX = '-restart-bench';
const NAMES: DemoIndexName[] = ['grocery', 'coco', 'videos'];
const QUERIES: Record<string, string> = { grocery: 'green apple with a clear acidity', coco: 'a dog catching a frisbee in a park', videos: 'a person cooking in a kitchen' };
/** Models that read media: a first search after the restart should run none of them. */
const MEDIA_MODELS = /efficientnet|nanodet|ppocr|clip/i;

async function serve(nodeArgs: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const env = { VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MEDIA_ROOTS: resolve(SHARED, 'data') };
  const { url, child } = await spawnServe({ upstream: ENGINE, modelsDir: resolve(SHARED, 'models'), env, nodeArgs });
  // models warm (readiness), so the first search measures the rerank, not the model loading
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${url}/_vlrerank/health?ready`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

async function mediaRuns(url: string): Promise<number> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^vlrerank_model_runs_total\{model="([^"]+)"\} (\S+)/gm)) if (MEDIA_MODELS.test(m[1]!)) n += Number(m[2]);
  return n;
}

async function search(url: string, index: string, query: string): Promise<{ rerankMs: number; degraded: unknown; top: string[] }> {
  const r = await fetch(`${url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 5, ext: { vlrerank: { query } } }) });
  const body = (await r.json()) as { hits?: { hits?: { _id: string }[] }; vlrerank?: { timings?: Record<string, number>; degraded?: unknown } };
  if (r.status !== 200) throw new Error(`${index}: HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { rerankMs: body.vlrerank?.timings?.rerank_ms ?? NaN, degraded: body.vlrerank?.degraded, top: (body.hits?.hits ?? []).map((h) => h._id) };
}

const pipelines = Object.fromEntries(loadPipelines('pipelines', REPO).filter((p) => NAMES.includes(p.name as DemoIndexName)).map((p) => [p.name, p]));
console.log(`bench:restart — ${NAMES.map((n) => n + SUFFIX).join(', ')} on ${ENGINE}`);
const a = await serve();
try {
  const t = Date.now();
  // the record keys of this install: a kept index is reused only when every record is current
  const keysOf = new Reranker({ modelsDir: resolve(SHARED, 'models'), mediaRoots: [resolve(SHARED, 'data')], device: 'cpu' });
  const recordKeys = await keysOf.recordKeys();
  await keysOf.close();
  const reports = await ensureDemoIndices({ proxyUrl: a.url, dataDir: resolve(SHARED, 'data'), names: NAMES, pipelines, suffix: SUFFIX, recordKeys });
  for (const r of reports as Array<(typeof reports)[number] & { records?: number }>) console.log(`  ${r.name}${SUFFIX}: ${r.action}, ${r.docs} documents${r.records !== undefined ? `, ${r.records} current records` : ''}`);
  console.log(`  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
} finally {
  await stop(a.child);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
type Round = { runs: number; first: number; again: number; degraded: unknown; sameTop: boolean };
const rounds = new Map<string, Round[]>(NAMES.map((n) => [n, []]));
for (let r = 0; r < RESTARTS; r++) {
  // the profile, when asked for, is of the first restart
  const b = await serve(PROFILE && r === 0 ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROFILE)] : []);
  try {
    for (const name of NAMES) {
      const index = `${name}${SUFFIX}`;
      const runs0 = await mediaRuns(b.url);
      const first = await search(b.url, index, QUERIES[name]!);
      const runs1 = await mediaRuns(b.url);
      const again: Awaited<ReturnType<typeof search>>[] = [];
      for (let i = 0; i < AGAIN; i++) again.push(await search(b.url, index, QUERIES[name]!));
      rounds.get(name)!.push({ runs: runs1 - runs0, first: first.rerankMs, again: median(again.map((x) => x.rerankMs)), degraded: first.degraded, sameTop: again.every((x) => x.top.join(' ') === first.top.join(' ')) });
    }
  } finally {
    await stop(b.child);
  }
}
console.log(`\nfirst reranked search after a restart (fresh process, no disk tier) vs the same search again (median of ${AGAIN}); ${RESTARTS} restart(s):`);
console.log('| index | image/video model runs (goal 0) | rerank ms first (median) | again (median) | ratio median (goal ≤ 1.5) | ratios | degraded | same top 5 |');
console.log('|---|---:|---:|---:|---:|---|---|---|');
for (const name of NAMES) {
  const rs = rounds.get(name)!;
  const ratios = rs.map((x) => x.first / x.again);
  console.log(`| ${name}${SUFFIX} | ${rs.map((x) => x.runs).join(', ')} | ${median(rs.map((x) => x.first)).toFixed(1)} | ${median(rs.map((x) => x.again)).toFixed(1)} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(', ')} | ${[...new Set(rs.map((x) => String(x.degraded)))].join(', ')} | ${rs.every((x) => x.sameTop) ? 'yes' : 'no'} |`);
}
if (process.argv.includes('--clean')) for (const n of NAMES) await fetch(`${ENGINE}/${n}${SUFFIX}`, { method: 'DELETE' });
process.exit(0);
