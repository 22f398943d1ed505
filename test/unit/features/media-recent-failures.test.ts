// A media URL whose fetch failed is answered that failure for a few seconds without asking its
// host again (recent.ts RecentFailures): a hit whose photo is gone, or whose host does not answer,
// was fetched again by every search that found it (held-out probe round 25a: 16 searches, 16
// fetches), each waiting the whole fetchTimeoutMs for a silent host. Past the keep, or with it off,
// the host is asked again; a caller's own abort is never kept; a Retry-After is obeyed. A real HTTP
// server here plays the host and counts what it is asked.
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSource, type MediaSourceOptions } from '../../../src/features/media/source.js';
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
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100, 1));
  });
  base = await listenLocal(host);
});
afterAll(() => closeLocal(host));

const source = (over: Partial<MediaSourceOptions> = {}) => new MediaSource({ roots: [], allowHosts: ['127.0.0.1'], maxBytes: 1 << 20, fetchTimeoutMs: 5_000, maxRedirects: 3, ...over });
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
