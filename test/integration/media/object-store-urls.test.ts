/**
 * Media served as object stores serve them (held-out probe round 14d): a real static file server
 * (Python's http.server, test/helpers/static-object-host.ts) ignores the query string as S3 serves
 * one object under any valid presigned signature, sends Last-Modified and answers 304 to
 * If-Modified-Since. Through `/v1/rerank` on a real `vlrerank serve`-equivalent server, real models.
 * - a presigned photo comes with a new signature on every search: it was downloaded whole each
 *   time (the validators were kept under the whole URL); now the new URL is revalidated (304);
 * - a clip URL with validators was downloaded whole on every search (only photos revalidated);
 * - an object replaced under the same name is fetched and its own features used, never the old —
 *   also when replaced within the second it was served (same Last-Modified, RFC 9110 §8.8.2.2).
 * Counts only: bodies the server sent (200), revalidations (304), model runs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { counterSum } from '../../helpers/metrics.js';
import { DATA } from '../../helpers/paths.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { scoreMedia, startStaticObjectHost, type StaticObjectHost } from '../../helpers/static-object-host.js';

const PHOTO_A = join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg');
const PHOTO_B = join(DATA, 'coco-captions-mini/images/val2017/000000000802.jpg');
const CLIP_A = join(DATA, 'intel-sample-videos/asl_gestures/bird.mkv');
const CLIP_B = join(DATA, 'intel-sample-videos/asl_gestures/book.mkv');

let host: StaticObjectHost;
/** The same store on a host whose clock is a day ahead (its Date headers; the objects' stamps are ours). */
let ahead: StaticObjectHost;
let srv: RunningServer;
let sig = 0;

beforeAll(async () => {
  host = await startStaticObjectHost();
  ahead = await startStaticObjectHost({ clock: '+1d' });
  // keepFetchedMs 0: nothing answered from the few-seconds keep of recent bytes, every ask reaches the host
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'media.keepFetchedMs': 0, 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await srv?.close();
  await host?.stop();
  await ahead?.stop();
});

const put = (file: string, name: string, at: number) => host.put(file, name, at);
/** An S3-style presigned URL of `name`: a new signature and date each call. */
const presigned = (name: string) => {
  sig += 1;
  return `${host.url}/${name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261205T1130${String(sig).padStart(2, '0')}Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${sig.toString(16).padStart(64, '0')}`;
};
const runs = () => counterSum(srv.url, 'vlrerank_model_runs_total');

const score = (doc: Record<string, string>) => scoreMedia(srv.url, doc);

describe('media URLs as object stores serve them', { timeout: 300_000 }, () => {
  it('a presigned photo under a new signature each search: one download, then revalidations (304); a replaced object gets its own features', async () => {
    put(PHOTO_B, 'b.jpg', 1_700_000_000);
    const scoreB = await score({ image: `${host.url}/b.jpg` });
    put(PHOTO_A, 'p.jpg', 1_700_000_000);
    const first = await score({ image: presigned('p.jpg') });
    expect(first).not.toBe(scoreB);
    const before = await runs();
    for (let i = 0; i < 3; i++) expect(await score({ image: presigned('p.jpg') })).toBe(first);
    expect(await runs()).toBe(before); // features reused: no model ran
    expect(host.count('/p.jpg', 200)).toBe(1); // before the fix: 4, the whole photo on every search
    expect(host.count('/p.jpg', 304)).toBe(3);
    // the object replaced (as a PUT does: new bytes, new Last-Modified): its own features, never the old
    put(PHOTO_B, 'p.jpg', 1_700_000_100);
    expect(await score({ image: presigned('p.jpg') })).toBe(scoreB);
    expect(host.count('/p.jpg', 200)).toBe(2);
  });

  it('a clip URL with validators: one download, then revalidations (304); a replaced clip gets its own features', async () => {
    put(CLIP_A, 'c.mkv', 1_700_000_000);
    const first = await score({ video: `${host.url}/c.mkv` });
    const before = await runs();
    expect(await score({ video: `${host.url}/c.mkv` })).toBe(first);
    expect(await score({ video: presigned('c.mkv') })).toBe(first);
    expect(await runs()).toBe(before);
    expect(host.count('/c.mkv', 200)).toBe(1); // before the fix: 3, the whole clip on every search
    expect(host.count('/c.mkv', 304)).toBe(2);
    put(CLIP_B, 'c.mkv', 1_700_000_100);
    const replaced = await score({ video: `${host.url}/c.mkv` });
    expect(replaced).not.toBe(first);
    expect(host.count('/c.mkv', 200)).toBe(2);
    put(CLIP_B, 'other.mkv', 1_700_000_000);
    expect(await score({ video: `${host.url}/other.mkv` })).toBe(replaced); // the same bytes elsewhere: the same features
  });

  it('an object replaced within the second it was served (its Last-Modified not older than the answer\'s Date): the new bytes get their own features, never the old copy\'s', async () => {
    // a Last-Modified ahead of the server's clock stands for "the same second as the answer" without a race on the clock
    const soon = Math.floor(Date.now() / 1000) + 3600;
    put(PHOTO_B, 'b2.jpg', 1_700_000_000);
    const scoreB = await score({ image: `${host.url}/b2.jpg` });
    put(PHOTO_A, 'same-second.jpg', soon);
    const scoreA = await score({ image: `${host.url}/same-second.jpg` });
    expect(scoreA).not.toBe(scoreB);
    put(PHOTO_B, 'same-second.jpg', soon); // new bytes, the same Last-Modified: the server would answer 304 to If-Modified-Since
    expect(await score({ image: `${host.url}/same-second.jpg` })).toBe(scoreB); // before the fix: scoreA, the old photo's features
    expect(host.count('/same-second.jpg', 304)).toBe(0);
  });

  it('the same on a host whose clock is a day ahead (its Date a day after the Last-Modified): the new bytes get their own features', async () => {
    // the object stamped by our clock, 5 s ahead: "the same second as the answer" without a race on the clock
    const soon = Math.floor(Date.now() / 1000) + 5;
    ahead.put(PHOTO_B, 'b3.jpg', 1_700_000_000);
    const scoreB = await score({ image: `${ahead.url}/b3.jpg` });
    ahead.put(PHOTO_A, 'ahead.jpg', soon);
    const scoreA = await score({ image: `${ahead.url}/ahead.jpg` });
    expect(scoreA).not.toBe(scoreB);
    ahead.put(PHOTO_B, 'ahead.jpg', soon);
    expect(await score({ image: `${ahead.url}/ahead.jpg` })).toBe(scoreB); // before the fix: scoreA (304 to If-Modified-Since)
    expect(ahead.count('/ahead.jpg', 304)).toBe(0);
  });
});
