/**
 * Hostile media behind a document never fails the request, never hangs it and never reads
 * without bound (issue 13 §6). A real HTTP server started here plays the hosts — a body that
 * never ends, a redirect that never ends, 10 GB declared and 10 GB streamed without a length —
 * and real files under a media root play the crafted inputs: a FIFO named `.jpg` (opening it for
 * reading blocks until a writer comes) and an `.mp4` that is an HLS playlist whose segment is a
 * FIFO (ffmpeg used to open it and block for ever; playlists are now refused before any file they
 * name is opened). A decoder that hangs is played by a fault fake (`hanging-ffmpeg`). The real server with the real models answers 200,
 * ranks every document on its text and names each media error; the host sees its connections
 * closed and at most a few MiB read of the 10 GB; a hanging ffmpeg is killed at
 * `media.videoTimeoutMs` with an ES-shaped 504 and no process left behind; the server serves
 * real media right after. Loopback media hosts are allowed through `media.allowHosts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { childProcesses } from '../../helpers/processes.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';

const TEN_GB = 10 * 1024 ** 3;
const MAX_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;

/** What the hostile host saw. */
const seen = { redirects: 0, bytes: new Map<string, number>(), open: new Set<ServerResponse>(), requests: 0 };

function hostile(req: IncomingMessage, res: ServerResponse): void {
  seen.requests++;
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  seen.open.add(res);
  res.on('close', () => seen.open.delete(res));
  const count = (n: number) => seen.bytes.set(path, (seen.bytes.get(path) ?? 0) + n);
  const chunk = Buffer.alloc(64 * 1024);
  /** Write zeros as fast as the socket drains, until the client goes away. */
  const flood = () => {
    while (!res.destroyed && res.write(chunk)) count(chunk.length);
    if (!res.destroyed) res.once('drain', flood);
  };
  switch (path) {
    case '/never-ends': {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : (res.write(Buffer.alloc(512)), count(512))), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    case '/redirects-forever':
      seen.redirects++;
      res.writeHead(302, { location: `/redirects-forever?n=${seen.redirects}` }).end();
      return;
    case '/ten-gb':
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(TEN_GB) });
      flood();
      return;
    case '/ten-gb-chunked':
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      flood();
      return;
    default:
      res.writeHead(404).end();
  }
}

/** Names of this test process's children still alive: a killed ffmpeg must be reaped. */
const children = () => childProcesses().map((c) => c.name);

let host: Server;
let hostUrl: string;
let root: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer(hostile);
  hostUrl = await listenLocal(host);
  root = mkdtempSync(join(tmpdir(), 'vlr-faults-media-'));
  execFileSync('mkfifo', [join(root, 'pipe.jpg')]);
  execFileSync('mkfifo', [join(root, 'segment.ts')]);
  writeFileSync(join(root, 'crafted.mp4'), `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${join(root, 'segment.ts')}\n#EXT-X-ENDLIST\n`);
  srv = await startRerankServer({
    'media.roots': [DATA, root],
    'media.allowHosts': ['127.0.0.1'],
    'media.maxBytes': MAX_BYTES,
    'media.fetchTimeoutMs': 2_000,
    'media.maxRedirects': MAX_REDIRECTS,
    'media.videoTimeoutMs': 2_000,
    'rerank.warmup': false,
  });
});
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
  if (root) rmSync(root, { recursive: true, force: true });
});

const post = (path: string, body: unknown) => fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('hostile media in a rerank request', () => {
  it('answers 200 with every document ranked on its text and each media error named; reads are bounded', { timeout: 120_000 }, async () => {
    const docs = [
      { text: 'oat drink', image: `${hostUrl}/never-ends` },
      { text: 'oat milk barista', image: `${hostUrl}/redirects-forever` },
      { text: 'granite countertop', image: `${hostUrl}/ten-gb` },
      { text: 'violin case', image: `${hostUrl}/ten-gb-chunked` },
      { text: 'oat porridge', image: join(root, 'pipe.jpg') },
      { text: 'oat cookies', video: join(root, 'crafted.mp4') },
      'a red apple',
    ];
    const r = await post('/v1/rerank', { query: 'oat milk', documents: docs });
    expect(r.status).toBe(200);
    const b = (await r.json()) as { results: Array<{ index: number }>; meta: { warnings?: string[] }; errors?: Array<{ index: number; reason: string }> };
    expect(b.results.map((x) => x.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r.headers.get('x-vlrerank-document-errors')).toBe('6');
    const reason = Object.fromEntries((b.errors ?? []).map((e) => [e.index, e.reason]));
    expect(reason[0]).toMatch(/timed out/);
    expect(reason[1]).toMatch(/too many redirects/);
    expect(reason[2]).toMatch(/limit/);
    expect(reason[3]).toMatch(/limit/);
    expect(reason[4]).toMatch(/not a regular file/);
    expect(reason[5]).toMatch(/\[hls\] is not one vlrerank decodes/); // a playlist: refused, its segment never opened
    expect(b.meta.warnings).toHaveLength(6);

    // the host: every response closed by the fetcher, the redirect chain cut at its bound, the floods read a little
    expect(seen.redirects).toBeLessThanOrEqual(MAX_REDIRECTS + 1);
    for (let i = 0; seen.open.size && i < 100; i++) await new Promise((res) => setTimeout(res, 50));
    expect(seen.open.size).toBe(0);
    expect(seen.bytes.get('/ten-gb') ?? 0).toBeLessThan(64 * MAX_BYTES);
    expect(seen.bytes.get('/ten-gb-chunked') ?? 0).toBeLessThan(64 * MAX_BYTES);
    expect(children().filter((c) => /ffmpeg|ffprobe/.test(c))).toEqual([]);
  });

  it('a reranked request right after reads real media again', { timeout: 120_000 }, async () => {
    const image = join(DATA, productImage(catalog()[0]!));
    const r = await post('/v1/rerank', { query: 'oat milk', documents: [{ text: 'oat drink', image }, 'a red apple'] });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-vlrerank-document-errors')).toBeNull();
  });
});

describe('ffmpeg on crafted input', () => {
  it('an .mp4 that is a playlist naming another file (a FIFO here) is refused at once: the file it names is never opened', { timeout: 60_000 }, async () => {
    const r = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent(join(root, 'crafted.mp4'))}&strip=3`);
    expect(r.status).toBe(415);
    expect(await r.json()).toMatchObject({ status: 415, error: { vlrerank_code: 'VLR_MEDIA_UNSUPPORTED', reason: expect.stringMatching(/\[hls\] is not one vlrerank decodes/) } });
    expect(children().filter((c) => /ffmpeg|ffprobe/.test(c))).toEqual([]);
  });

  it('a hanging ffmpeg is killed at media.videoTimeoutMs: an ES-shaped 504, no process left, and the server serves real clips after', { timeout: 120_000 }, async () => {
    // fault fake "hanging-ffmpeg": a decoder that never answers (what the playlist above did before
    // playlists were refused); the real ffprobe, so the clip is probed and the hang is in the decode
    const hang = join(root, 'hanging-ffmpeg');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    const wedged = await startRerankServer({ 'media.roots': [DATA], 'media.videoTimeoutMs': 2_000, 'media.ffmpegPath': hang, 'rerank.warmup': false });
    try {
      const clip = join(DATA, 'intel-sample-videos', 'clips', 'bottle-detection.mp4');
      const r = await fetch(`${wedged.url}/_vlrerank/media?src=${encodeURIComponent(clip)}&strip=3`);
      expect(r.status).toBe(504);
      expect(await r.json()).toMatchObject({ status: 504, error: { vlrerank_code: 'VLR_MEDIA_TIMEOUT', reason: expect.stringMatching(/killed/) } });
      expect(children().filter((c) => /sleep 600|ffmpeg|ffprobe/.test(c))).toEqual([]);
      const ok = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent(clip)}&strip=2`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/image\/jpeg/);
    } finally {
      await wedged.close();
    }
  });

  it('a FIFO named .mp4 is refused at once, not opened for a blocking read', async () => {
    execFileSync('mkfifo', [join(root, 'pipe.mp4')]);
    const r = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent(join(root, 'pipe.mp4'))}&strip=2`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { reason: 'not a file' } });
  });
});
