/**
 * A rerank API call has a time budget of its own (`x-vlrerank-budget-ms`, else
 * `rerank.apiBudgetMs`). Held-out probe round 8b: it had none — 40 photo URLs answered after 9 s
 * each took 46 s. Media not arrived by the media cut-off are given up and their documents named,
 * scored on the rest; the query's own media not arrived is a 504; the work given up is freed (the
 * host's connections closed, ffmpeg gone, admission back to 0, the network slots free again).
 * A real HTTP server started here plays a media host that never answers (`/slow-*`) beside a real
 * grocery photo (`/photo.jpg`); the real server, real models and real Intel clips do the rest.
 * Outcomes only; the elapsed times are printed, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[0]!)));
const CLIPS = readdirSync(join(DATA, 'intel-sample-videos/clips')).filter((f) => f.endsWith('.mp4')).map((f) => `intel-sample-videos/clips/${f}`);
const held = new Set<ServerResponse>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    if (req.url === '/photo.jpg') return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO);
    held.add(res); // never answered: only an abort from vlrerank ends it
    res.on('close', () => held.delete(res));
  });
  hostUrl = await listenLocal(host);
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'media.fetchTimeoutMs': 120_000, 'rerank.warmup': false });
  // models loaded on first use count against that call's budget: load them first, within the default one
  const warm = await call('/v1/rerank', { query: 'warm up', documents: [{ text: 'a photo', image: productImage(catalog()[2]!) }] });
  expect(warm.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

type Answer = { status: number; headers: Headers; body: Record<string, any>; ms: number };
async function call(path: string, body: unknown, budget?: string): Promise<Answer> {
  const t = performance.now();
  const r = await fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(budget !== undefined ? { 'x-vlrerank-budget-ms': budget } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, any>, ms: Math.round(performance.now() - t) };
}

/** Poll (no time asserted) until `f` holds; fails the test if it never does. */
async function eventually(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

const admission = async () => ((await (await fetch(srv.url + '/_vlrerank/health')).json()) as { rerank_admission: { in_flight: number; queued: number; in_flight_documents: number } }).rerank_admission;
const ffmpegChildren = () => {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'ffmpeg|ffprobe']).toString().trim().split('\n').filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when none
  }
};
const videoTemps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('vlrerank-video-')).length;

describe('a rerank API call within its budget', () => {
  it('media not arrived in time: their documents named, the rest scored, the fetches aborted and the slots freed', { timeout: 120_000 }, async () => {
    const docs = [...Array.from({ length: 5 }, (_, i) => ({ text: `basket ${i}`, image: `${hostUrl}/slow-${i}.jpg` })), { image: `${hostUrl}/photo.jpg` }, 'fresh fruit and vegetables'];
    const a = await call('/v1/rerank', { query: 'fresh fruit', documents: docs, return_documents: false }, '5000');
    console.log(`[api-budget] 5 of 7 documents' media never answered, budget 5000 ms: answered ${a.status} in ${a.ms} ms`);
    expect(a.status).toBe(200);
    expect(a.body.results).toHaveLength(7);
    expect(a.headers.get('x-vlrerank-document-errors')).toBe('5');
    const named = (a.body.meta.warnings as string[]).filter((w) => w.includes('VLR_MEDIA_TIMEOUT'));
    expect(named.map((w) => Number(/documents\[(\d+)\]/.exec(w)![1]))).toEqual([0, 1, 2, 3, 4]);
    expect(named[0]).toMatch(/budget of 5000 ms/);
    expect((a.body.errors as Array<{ index: number }>).map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    await eventually(() => held.size === 0, 'the host sees every fetch given up');
    await eventually(async () => (await admission()).in_flight === 0, 'admission back to 0');
    expect(await admission()).toMatchObject({ in_flight: 0, queued: 0, in_flight_documents: 0 });
    // the 8 network slots are free again: another call's 8 URLs are all asked at once
    const next = call('/rerank', { query: 'fruit', documents: Array.from({ length: 8 }, (_, i) => ({ image: `${hostUrl}/slow-again-${i}.jpg` })) }, '60000');
    await eventually(() => held.size === 8, 'all 8 URLs of the next call fetched at once');
    host.closeAllConnections();
    expect((await next).status).toBe(200);
  });

  it("the query's own media not arrived: a 504 in the API's shape, the fetch aborted", { timeout: 120_000 }, async () => {
    const a = await call('/v2/rerank', { query: { image: `${hostUrl}/slow-query.jpg` }, documents: ['a red apple', 'a loaf of bread'] }, '1500');
    console.log(`[api-budget] query photo never answered, budget 1500 ms: answered ${a.status} in ${a.ms} ms`);
    expect(a.status).toBe(504);
    expect(a.body).toMatchObject({ object: 'error', code: 504 });
    expect(a.body.message).toMatch(/^\[query\].*budget of 1500 ms/);
    await eventually(() => held.size === 0, 'the query fetch given up');
    await eventually(async () => (await admission()).in_flight === 0, 'admission back to 0');
  });

  it('videos cut off mid-decoding: named, ffmpeg gone, its temporary folders removed', { timeout: 120_000 }, async () => {
    const tempsBefore = videoTemps();
    // about 25 s of frames on this 2-core machine: cut off at 12 s, 3 s kept for the rest (a batch already running, the text)
    const docs = [...CLIPS.slice(0, 12).map((video) => ({ video, fps: 30, max_frames: 64 })), 'cars on a road'];
    const a = await call('/v1/rerank', { query: 'cars on a road', documents: docs, return_documents: false }, '15000');
    console.log(`[api-budget] 12 clips at 64 frames, budget 15000 ms: answered ${a.status} in ${a.ms} ms, ${a.headers.get('x-vlrerank-document-errors')} named ${a.status !== 200 ? JSON.stringify(a.body) : ''}`);
    expect(a.status).toBe(200);
    expect(a.body.results).toHaveLength(13);
    const errs = (a.body.errors ?? []) as Array<{ index: number; code: string }>;
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.every((e) => e.index < 12 && e.code === 'VLR_MEDIA_TIMEOUT')).toBe(true);
    await eventually(() => ffmpegChildren() === 0, 'no ffmpeg left');
    await eventually(() => videoTemps() <= tempsBefore, 'temporary video folders removed');
    await eventually(async () => (await admission()).in_flight === 0, 'admission back to 0');
  });

  it('a budget the text model cannot meet: 504 VLR_TIMEOUT; a bad header: 400 naming it', { timeout: 60_000 }, async () => {
    const a = await call('/rerank', { query: `an unseen query ${Date.now()}`, documents: Array.from({ length: 50 }, (_, i) => `unseen document ${i} ${Date.now()}`) }, '1');
    expect(a.status).toBe(504);
    expect(a.body.message).toMatch(/exceeded its budget of 1 ms/);
    for (const bad of ['0', '-5', 'soon', '3600001', '1.5']) {
      const b = await call('/v1/rerank', { query: 'q', documents: ['d'] }, bad);
      expect(b.status, bad).toBe(400);
      expect(b.body.message).toMatch(/^\[x-vlrerank-budget-ms\]/);
    }
    const s = await call('/v1/score', { text_1: 'q', text_2: ['d'] }, 'soon');
    expect(s.status).toBe(400);
    const native = await call('/_vlrerank/rerank', { query: { text: 'q' }, documents: [{ text: 'd' }] }, 'soon');
    expect(native.status).toBe(400);
    expect(native.body).toMatchObject({ status: 400, error: { reason: expect.stringMatching(/^\[x-vlrerank-budget-ms\]/) } });
    await eventually(async () => (await admission()).in_flight === 0, 'admission back to 0');
  });
});
