// A media URL's bytes are kept a few seconds after a fetch for the asks that follow (recent.ts):
// asked again at once, the host is not asked again — validators or not; what HTTP forbids a
// shared cache to reuse (no-store, no-cache, private, max-age=0) is asked again; another byte limit is
// another ask; past the keep, or with it off, the host is asked again.
// A URL whose fetch failed is answered that failure for a few seconds without asking its host again
// (recent.ts RecentFailures): a hit whose photo is gone, or whose host does not answer, was fetched
// again by every search that found it (held-out probe round 25a: 16 searches, 16 fetches), each
// waiting the whole fetchTimeoutMs for a silent host. Past the keep, or with it off, the host is
// asked again; a caller's own abort is never kept; a Retry-After is obeyed.
// A real HTTP server here plays the host and counts what it is asked.
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSource, type MediaSourceOptions } from '../../../src/features/media/source.js';
import { reuseMs } from '../../../src/features/media/recent.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';

const asked = new Map<string, number>();
let host: Server;
let base: string;

beforeAll(async () => {
  host = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    asked.set(u.pathname, (asked.get(u.pathname) ?? 0) + 1);
    if (u.pathname.startsWith('/gone')) return void res.writeHead(404).end('no such photo');
    if (u.pathname.startsWith('/busy')) return void res.writeHead(503, { 'retry-after': u.searchParams.get('ra') ?? '1' }).end();
    if (u.pathname.startsWith('/silent')) return; // never answers: the fetch times out
    if (u.pathname.startsWith('/ok')) return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100, 1));
    const cc = u.searchParams.get('cc');
    // freshness headers as given (`h`: a JSON object), written raw: Node would fix a Date it sends itself
    const h = JSON.parse(u.searchParams.get('h') ?? '{}') as Record<string, string>;
    res.sendDate = !('date' in h);
    res.writeHead(200, { 'content-type': 'image/png', ...(cc ? { 'cache-control': cc } : {}), ...(u.pathname.includes('etag') ? { etag: '"e1"' } : {}), ...h }).end(Buffer.alloc(1000, asked.get(u.pathname)));
  });
  base = await listenLocal(host);
});
afterAll(() => closeLocal(host));

const source = (over: Partial<MediaSourceOptions> = {}) => new MediaSource({ roots: [], allowHosts: ['127.0.0.1'], maxBytes: 1 << 20, fetchTimeoutMs: 5_000, maxRedirects: 3, ...over });

describe('recent fetches', () => {
  it('asked again at once: the same bytes, the host asked once (a conditional ask too)', async () => {
    const s = source();
    const a = await s.resolve(`${base}/a.png`);
    const b = await s.resolve(`${base}/a.png`);
    const e1 = await s.resolve(`${base}/etag.png`);
    const e2 = await s.fetchUrl(`${base}/etag.png`, { maxBytes: 1 << 20, validators: { etag: '"e1"' } });
    expect(b.contentHash).toBe(a.contentHash);
    expect('notModified' in e2 ? undefined : e2.contentHash).toBe(e1.contentHash);
    // a join of a fetch under way or kept holds no network slot (media-slots.ts)
    expect(await s.joinFetch(`${base}/a.png`)).toBe(b);
    expect([asked.get('/a.png'), asked.get('/etag.png')]).toEqual([1, 1]);
    await s.close();
  });

  it.each(['no-store', 'no-cache', 'private, max-age=60', 'max-age=0', 'public, s-maxage=0, max-age=60'])('Cache-Control: %s — asked again', async (cc) => {
    const s = source();
    const path = `/cc-${encodeURIComponent(cc)}.png`;
    await s.resolve(`${base}${path}?cc=${encodeURIComponent(cc)}`);
    await s.resolve(`${base}${path}?cc=${encodeURIComponent(cc)}`);
    expect(asked.get(path)).toBe(2);
    await s.close();
  });

  // Expires and Age, on hosts whose clocks are off (held-out probe round 16b): each was kept 10 s
  // before, whatever it said — a copy already stale reused, or a CDN's copy past its lifetime
  const day = 86_400_000;
  const http = (ms: number) => new Date(ms).toUTCString();
  const now = Date.now();
  it.each([
    ['Expires: 0 (invalid: in the past)', { expires: '0' }, 2],
    ['Expires: -1', { expires: '-1' }, 2],
    ['Expires before Date, on a host a day behind', { date: http(now - day), expires: http(now - day - 60_000) }, 2],
    ['max-age=-5 (invalid)', { 'cache-control': 'max-age=-5' }, 2],
    ['Age past max-age (a CDN copy about to expire)', { 'cache-control': 'max-age=60', age: '60' }, 2],
    ['Expires an hour after Date, on a host a day behind: fresh', { date: http(now - day), expires: http(now - day + 3_600_000) }, 1],
    ['Expires an hour after Date, on a host a day ahead: fresh', { date: http(now + day), expires: http(now + day + 3_600_000) }, 1],
    ['max-age=60 with Age 30: fresh', { 'cache-control': 'max-age=60', age: '30' }, 1],
  ])('%s — the host asked as often as its headers say', async (name, h, times) => {
    const s = source();
    const path = `/fresh-${encodeURIComponent(name)}.png`;
    const url = `${base}${path}?h=${encodeURIComponent(JSON.stringify(h))}`;
    await s.resolve(url);
    await s.resolve(url);
    expect(asked.get(path)).toBe(times);
    await s.close();
  });

  it('another byte limit, the keep off, or past the keep: asked again', async () => {
    const s = source();
    await s.resolve(`${base}/limit.png`);
    await s.resolve(`${base}/limit.png`, { maxBytes: 5_000 });
    expect(asked.get('/limit.png')).toBe(2);
    const off = source({ keepFetchedMs: 0 });
    await off.resolve(`${base}/off.png`);
    await off.resolve(`${base}/off.png`);
    expect(asked.get('/off.png')).toBe(2);
    const short = source({ keepFetchedMs: 20 });
    await short.resolve(`${base}/short.png`);
    await new Promise((r) => setTimeout(r, 200)); // past its keep (an ordering wait; nothing timed is asserted)
    await short.resolve(`${base}/short.png`);
    expect(asked.get('/short.png')).toBe(2);
    await Promise.all([s.close(), off.close(), short.close()]);
  });

  it('bounded in bytes: a media over a quarter of the bound is not kept', async () => {
    const s = source({ keepFetchedBytes: 3_000 });
    await s.resolve(`${base}/big.png`);
    await s.resolve(`${base}/big.png`);
    expect(asked.get('/big.png')).toBe(2);
    await s.close();
  });

  it('reuse time from Cache-Control', () => {
    expect(reuseMs(undefined, 10_000)).toBe(10_000);
    expect(reuseMs('max-age=3', 10_000)).toBe(3_000);
    expect(reuseMs('max-age=3600', 10_000)).toBe(10_000);
    expect(reuseMs('max-age=60, s-maxage=2', 10_000)).toBe(2_000);
    expect(reuseMs('private, No-Store', 10_000)).toBe(0);
    expect(reuseMs('public', 10_000)).toBe(10_000);
    expect(reuseMs('Private', 10_000)).toBe(0);
    expect(reuseMs(undefined, 10_000, { expires: 'Thu, 01 Jan 1970 00:00:00 GMT', date: 'Thu, 01 Jan 1970 00:00:05 GMT' })).toBe(0);
    expect(reuseMs(undefined, 10_000, { expires: 'Thu, 01 Jan 1970 00:00:08 GMT', date: 'Thu, 01 Jan 1970 00:00:05 GMT' })).toBe(3_000);
    expect(reuseMs('max-age=5', 10_000, { age: '3', expires: '0' })).toBe(2_000); // max-age wins over Expires
    expect(reuseMs('max-age=5', 10_000, { age: 'soon' })).toBe(5_000); // an invalid Age is ignored
  });
});

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { code?: string; status?: number; message: string; details?: Record<string, unknown> });

describe('recent failures', () => {
  it('a 404 asked again at once: the same error, the host asked once; past the keep, asked again', async () => {
    const s = source({ keepFailedMs: 1_500 });
    const first = await failure(s.resolve(`${base}/gone-a.png`));
    const again = await failure(s.resolve(`${base}/gone-a.png`));
    expect(first).toMatchObject({ code: 'VLR_MEDIA_FETCH', details: { media_status: 404 } });
    expect(again).toMatchObject({ code: 'VLR_MEDIA_FETCH', status: first!.status, details: { media_status: 404, remembered: true } });
    expect(again!.message).toContain(first!.message);
    expect(again!.message).toMatch(/s ago; not asked again .*media\.keepFailedMs/);
    // a join (media-slots.ts) is answered the kept failure too, holding no slot
    expect(await failure(s.joinFetch(`${base}/gone-a.png`)!)).toMatchObject({ code: 'VLR_MEDIA_FETCH' });
    expect(asked.get('/gone-a.png')).toBe(1);
    await sleep(1_700);
    await failure(s.resolve(`${base}/gone-a.png`));
    expect(asked.get('/gone-a.png')).toBe(2);
    await s.close();
  });

  it('a host that does not answer: the second ask fails at once with the time-out, not after another wait', async () => {
    const s = source({ fetchTimeoutMs: 400 });
    expect(await failure(s.resolve(`${base}/silent-a.png`))).toMatchObject({ code: 'VLR_MEDIA_TIMEOUT' });
    const again = await failure(s.resolve(`${base}/silent-a.png`));
    expect(again).toMatchObject({ code: 'VLR_MEDIA_TIMEOUT', details: { remembered: true } });
    expect(asked.get('/silent-a.png')).toBe(1);
    await s.close();
  });

  it('keepFailedMs 0: every ask goes to the host', async () => {
    const s = source({ keepFailedMs: 0 });
    await failure(s.resolve(`${base}/gone-b.png`));
    await failure(s.resolve(`${base}/gone-b.png`));
    expect(asked.get('/gone-b.png')).toBe(2);
    await s.close();
  });

  it("a caller's own abort is not kept: the next ask fetches", async () => {
    const s = source();
    const ac = new AbortController();
    const p = failure(s.resolve(`${base}/ok-a.png`, { signal: ac.signal }));
    ac.abort(new Error('client left'));
    await p;
    const bytes = await s.resolve(`${base}/ok-a.png`);
    expect(bytes.bytes.length).toBe(100);
    await s.close();
  });

  it("a 503's Retry-After longer than the keep is obeyed", async () => {
    const s = source({ keepFailedMs: 200 });
    expect(await failure(s.resolve(`${base}/busy-a.png?ra=30`))).toMatchObject({ details: { media_status: 503, retry_after: '30' } });
    await sleep(400);
    expect(await failure(s.resolve(`${base}/busy-a.png?ra=30`))).toMatchObject({ details: { remembered: true } });
    expect(asked.get('/busy-a.png')).toBe(1);
    await s.close();
  });

  it('a success is not affected, and another byte limit is another ask', async () => {
    const s = source();
    await failure(s.fetchUrl(`${base}/gone-c.png`, { maxBytes: 1 << 20 }));
    await failure(s.fetchUrl(`${base}/gone-c.png`, { maxBytes: 1 << 19 }));
    expect(asked.get('/gone-c.png')).toBe(2);
    expect((await s.resolve(`${base}/ok-b.png`)).bytes.length).toBe(100);
    await s.close();
  });
});
