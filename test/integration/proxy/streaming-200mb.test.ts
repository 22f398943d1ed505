/**
 * Bodies stream both ways: a 200 MB _bulk passes through the proxy and a 200 MB answer comes
 * back, with the proxy's own RSS (it runs in a child process) growing far less than the body.
 * The upstream is a counting sink: Elasticsearch refuses bodies over http.max_content_length
 * (100 MB), so a real engine cannot take this one; the sink checks every byte arrived (sha256).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { bulkSink, type Sink } from '../../helpers/upstream-fakes.js';
import { spawnProxyProcess } from '../../helpers/proxy.js';

const SIZE = 200 * 1024 * 1024;
/**
 * Growth allowed while 200 MB pass: a buffering proxy grows by ≥ 200 MB. A streaming one still
 * grows by ~60 MB the first time, as V8 widens its young generation under the allocation rate of
 * 64 KB socket chunks (measured here: 59 MB up, 1 MB down once warm).
 */
const MAX_GROWTH = 96 * 1024 * 1024;

let sink: Sink;
let proxy: Awaited<ReturnType<typeof spawnProxyProcess>>;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Sample the proxy's RSS while `work` runs; returns the peak. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = rss(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
  try {
    const result = await work();
    peak = Math.max(peak, rss(pid));
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

/** 200 MB of _bulk NDJSON, generated as it is read (never held whole), and its sha256. */
function bulkStream(): { stream: Readable; hash: () => string } {
  const line = Buffer.from('{"index":{}}\n{"title":"the quick brown fox jumps over the lazy dog","n":12345}\n');
  const block = Buffer.concat(Array.from({ length: Math.floor((256 * 1024) / line.length) }, () => line));
  const h = createHash('sha256');
  let left = SIZE;
  const stream = new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const chunk = left >= block.length ? block : block.subarray(0, left);
      left -= chunk.length;
      h.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, hash: () => h.digest('hex') };
}

beforeAll(async () => {
  sink = await bulkSink();
  proxy = await spawnProxyProcess([sink.url]);
  // warm up: first requests load code paths
  for (let i = 0; i < 3; i++) await (await request(`${proxy.url}/vlr-stream/_bulk`, { method: 'POST', body: '{}\n{}\n' })).body.dump();
});
afterAll(async () => {
  await proxy?.stop();
  await sink?.close();
});

describe('streaming 200 MB', () => {
  it('streams a 200 MB chunked _bulk upstream with bounded proxy memory', async () => {
    const base = rss(proxy.pid);
    const body = bulkStream();
    const { peak, result } = await peakRss(proxy.pid, async () => {
      // an index without an ingest pipeline: the pure proxy path (`/_bulk` is scanned line by line
      // for ingest pipelines' vectors, see src/ingest/router.ts)
      const r = await request(`${proxy.url}/vlr-stream/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: body.stream });
      return { status: r.statusCode, json: await r.body.json() };
    });
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ errors: false });
    expect(sink.last.bytes).toBe(SIZE);
    expect(sink.last.sha256).toBe(body.hash());
    expect(sink.last.chunked).toBe(true);
    expect(peak - base, `proxy RSS grew ${((peak - base) / 2 ** 20).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH);
  });

  it('streams a 200 MB answer back with bounded proxy memory', async () => {
    const base = rss(proxy.pid);
    const { peak, result } = await peakRss(proxy.pid, async () => {
      const r = await request(`${proxy.url}/_big?bytes=${SIZE}`);
      let bytes = 0;
      for await (const c of r.body) bytes += (c as Buffer).length;
      return { status: r.statusCode, bytes, te: r.headers['transfer-encoding'] };
    });
    expect(result).toEqual({ status: 200, bytes: SIZE, te: 'chunked' });
    expect(peak - base, `proxy RSS grew ${((peak - base) / 2 ** 20).toFixed(1)} MB`).toBeLessThan(MAX_GROWTH);
  });
});
