/**
 * A rerank call whose documents are long videos and nothing else, under a budget they cannot be
 * read in: held-out probe round 22d saw 20 half-hour videos answered **200 with every score 0**
 * after the 30 s budget (34.8 s), only warnings saying why. Nothing could be scored: it is now a
 * 504 in each API's shape naming what to change (the budget's header and setting, max_frames,
 * feature records) — on /v1/rerank, /_vlrerank/rerank and the library's process(); once the decoder
 * has measured what a frame costs, such a call is refused before it runs (413, the estimate named).
 * A document with text beside them still gets its 200 (scored on what it has, the videos named).
 * Real server, ffmpeg and models; the 20-minute videos are Intel clips looped by ffmpeg (stream
 * copy) in a temporary folder. Outcomes only; the elapsed times are printed, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { rejection } from '../../helpers/errors.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const CLIPS = join(DATA, 'intel-sample-videos/clips');
let dir: string;
let srv: RunningServer;
let videos: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-api-long-videos-'));
  videos = readdirSync(CLIPS).filter((f) => f.endsWith('.mp4')).sort().slice(0, 8).map((f, i) => {
    const out = join(dir, `long-${i}.mp4`);
    execFileSync('ffmpeg', ['-y', '-v', 'error', '-stream_loop', '-1', '-i', join(CLIPS, f), '-t', '1200', '-c', 'copy', '-an', out]);
    return out;
  });
  srv = await startRerankServer({ 'media.roots': [DATA, dir], 'media.maxVideoSeconds': 7200, 'rerank.warmup': false });
  // models loaded on first use count against that call's budget: load them first — with a photo,
  // so that no video has been decoded yet (the first case below needs the decoder's cost unknown)
  const warm = await call('/v1/rerank', { query: 'warm up', documents: [{ text: 'a photo', image: productImage(catalog()[2]!) }] });
  expect(warm.status).toBe(200);
}, 300_000);
afterAll(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, body: unknown, budget?: string): Promise<{ status: number; body: Record<string, any>; ms: number }> {
  const t = performance.now();
  const r = await fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(budget ? { 'x-vlrerank-budget-ms': budget } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, any>, ms: Math.round(performance.now() - t) };
}

it('8 long videos and nothing else past their budget, the cost of a frame not known yet: a 504 naming what to change, not a 200 of zeros', { timeout: 300_000 }, async () => {
  const documents = videos.map((video) => ({ video, max_frames: 32 }));
  const a = await call('/v1/rerank', { query: 'cars on a road', documents, return_documents: false }, '1500');
  console.log(`[api-budget-long-videos] 8 videos of 20 min at 32 frames, budget 1500 ms: ${a.status} in ${a.ms} ms`);
  expect(a.status, JSON.stringify(a.body).slice(0, 400)).toBe(504);
  expect(a.body).toMatchObject({ object: 'error', code: 504 });
  expect(a.body.message).toMatch(/no document could be scored within the request's budget of 1500 ms/);
  for (const hint of ['x-vlrerank-budget-ms', 'rerank.apiBudgetMs', 'max_frames', 'feature records']) expect(a.body.message).toContain(hint);

  const n = await call('/_vlrerank/rerank', { query: { text: 'cars on a road' }, documents: videos.map((video) => ({ video })), max_frames: 24 }, '1500');
  expect(n.status).toBe(504);
  expect(n.body).toMatchObject({ status: 504, error: { type: 'timeout_exception', vlrerank_code: 'VLR_TIMEOUT' } });

  const e = await rejection(srv.services.reranker.process({ query: { text: 'cars on a road' }, documents: videos.map((video) => ({ video })), max_frames: 20 }, { budgetMs: 1500 }));
  expect(e.code).toBe('VLR_TIMEOUT');
  expect(e.message).toContain('max_frames');
});

it('once the cost of a frame is known, the same call is refused before it runs: 413 naming the estimate and what to change', { timeout: 300_000 }, async () => {
  const clip = await call('/v1/rerank', { query: 'bottles', documents: [{ video: join(CLIPS, 'bottle-detection.mp4') }] });
  expect(clip.status).toBe(200);
  const a = await call('/v1/rerank', { query: 'cars on a road', documents: videos.map((video) => ({ video, max_frames: 30 })), return_documents: false }, '1500');
  console.log(`[api-budget-long-videos] the same, a frame's cost known: ${a.status} in ${a.ms} ms: ${a.body.message}`);
  expect(a.status, JSON.stringify(a.body).slice(0, 400)).toBe(413);
  expect(a.body).toMatchObject({ object: 'error', code: 413 });
  expect(a.body.message).toMatch(/^8 videos of 240 frames need at least \d+ ms to decode/);
  for (const hint of ['x-vlrerank-budget-ms', 'rerank.apiBudgetMs', 'max_frames', 'feature records']) expect(a.body.message).toContain(hint);
  // a budget they fit in is run as before
  const b = await call('/v1/rerank', { query: 'cars on a road', documents: videos.slice(0, 2).map((video) => ({ video, max_frames: 2 })), return_documents: false }, '120000');
  expect(b.status).toBe(200);
  expect(b.body.results).toHaveLength(2);
});

it('a text document beside them: still 200, scored on its text, the cut-off videos named', { timeout: 300_000 }, async () => {
  const documents = [...videos.map((video) => ({ video, max_frames: 28 })), 'cars on a road in a city'];
  const a = await call('/v1/rerank', { query: 'cars on a road', documents, return_documents: false }, '1500');
  expect(a.status).toBe(200);
  expect(a.body.results[0]).toMatchObject({ index: 8 });
  expect(a.body.results[0].relevance_score).toBeGreaterThan(0);
  expect((a.body.errors as Array<{ code: string }>).every((x) => x.code === 'VLR_MEDIA_TIMEOUT')).toBe(true);
});
