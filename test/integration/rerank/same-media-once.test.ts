/**
 * One media reference named by many documents of a request is fetched and computed once
 * (held-out probe round 8b: a photo URL named by 100 documents was fetched 100 times — 26 s behind
 * a host answering in 2 s; a clip URL the same). A real HTTP server started here serves a real
 * grocery photo and a real Intel clip and counts what it is asked; the real server with the real
 * models answers; loopback media hosts are allowed through `media.allowHosts`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[0]!)));
const CLIP = readFileSync(join(DATA, 'intel-sample-videos/clips/car-detection.mp4'));
const asked = new Map<string, number>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    asked.set(path, (asked.get(path) ?? 0) + 1);
    const [type, body] = path.endsWith('.mp4') ? ['video/mp4', CLIP] : ['image/jpeg', PHOTO];
    res.writeHead(200, { 'content-type': type, 'content-length': String(body.length) }).end(body);
  });
  hostUrl = await listenLocal(host);
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'rerank.warmup': false });
});
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

const rerank = async (body: unknown) => {
  const r = await fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return (await r.json()) as { results: Array<{ index: number; relevance_score: number }>; errors?: unknown[] };
};

describe('the same media named by many documents of one request', () => {
  it('a photo URL named 100 times is fetched once; every document gets its score', { timeout: 120_000 }, async () => {
    const b = await rerank({ query: 'fresh fruit', documents: Array.from({ length: 100 }, () => ({ image: `${hostUrl}/photo.jpg` })), return_documents: false });
    expect(b.errors ?? []).toEqual([]);
    expect(b.results).toHaveLength(100);
    expect(new Set(b.results.map((x) => x.relevance_score)).size).toBe(1);
    expect(asked.get('/photo.jpg')).toBe(1);
  });

  it('a clip URL named 20 times at one fps/max_frames is fetched once; at another it is its own sample', { timeout: 120_000 }, async () => {
    const docs = [...Array.from({ length: 20 }, () => ({ video: `${hostUrl}/clip.mp4` })), { video: `${hostUrl}/clip.mp4`, max_frames: 2 }, 'cars on a road'];
    const b = await rerank({ query: 'cars on a road', documents: docs, return_documents: false });
    expect(b.errors ?? []).toEqual([]);
    expect(b.results).toHaveLength(22);
    const score = new Map(b.results.map((x) => [x.index, x.relevance_score]));
    expect(new Set(Array.from({ length: 20 }, (_, i) => score.get(i))).size).toBe(1);
    expect(score.get(20)).not.toBe(score.get(0)); // 2 frames of 5: another sample
    expect(asked.get('/clip.mp4')).toBeLessThanOrEqual(2); // the 20 alike once, the max_frames 2 one at most once more
  });
});
