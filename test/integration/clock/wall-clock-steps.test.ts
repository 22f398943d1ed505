/**
 * The wall clock stepped while vlrerank works (an NTP step, a VM resumed, a container's clock set):
 * Debian's libfaketime moves Date.now() in a child process, CLOCK_MONOTONIC stays real (as on a
 * host). Budgets and time-outs are durations and must not follow the step; the disk tier's
 * access stamps persist, so they must only move forward. Held-out probe round 16b.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DATA } from '../../helpers/paths.js';
import { LIBFAKETIME, runWithSteppableClock } from '../../helpers/faketime.js';

const step = `const { writeFileSync } = await import('node:fs'); const stepClock = (offset) => writeFileSync(process.argv[1], offset);`;

describe.skipIf(!LIBFAKETIME)('a wall-clock step in the middle of the work', () => {
  it('a clock stepped forward 1 h while a clip is probed does not time out its decode (was VLR_MEDIA_TIMEOUT at once)', async () => {
    const clip = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4');
    const out = await runWithSteppableClock(`${step}
      const { VideoDecoder } = await import('./src/features/media/video.ts');
      const v = new VideoDecoder({ timeoutMs: 60_000 });
      const running = v.sampleFrames({ path: ${JSON.stringify(clip)} }, { fps: 1, maxFrames: 2 });
      stepClock('+1h'); // the budget was taken; ffprobe is running
      const r = await running.then((s) => ({ frames: s.frames.length }), (e) => ({ code: e.code, message: e.message }));
      console.log(JSON.stringify(r));`);
    expect(out).toEqual({ frames: 2 });
  });

  it('a clock stepped forward 1 h while a remote worker answers 503 still fails over to the next worker (was the whole budget spent)', async () => {
    const out = await runWithSteppableClock(`${step}
      const { createServer } = await import('node:http');
      const { RemoteScorer } = await import('./src/rerank/backends/remote.ts');
      const listen = (handler) => new Promise((resolve) => { const s = createServer(async (req, res) => { let b = ''; for await (const c of req) b += c; handler(JSON.parse(b), res); }); s.listen(0, '127.0.0.1', () => resolve(s)); });
      const busy = await listen((_b, res) => { stepClock('+1h'); res.writeHead(503, { 'content-type': 'application/json' }); res.end('{"message":"busy"}'); });
      const ok = await listen((b, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ results: b.documents.map((_, index) => ({ index, relevance_score: 0.5 })) })); });
      const url = (s) => 'http://127.0.0.1:' + s.address().port;
      const scorer = new RemoteScorer({ urls: [url(busy), url(ok)], timeoutMs: 30_000, hedgeAfterMs: 0, healthIntervalMs: 0, breakerThreshold: 1000 });
      const r = await scorer.score({ query: { text: 'a dog' }, documents: [{ text: 'a dog' }, { text: 'a cat' }] }).then((a) => ({ worker: a.worker === url(ok) }), (e) => ({ code: e.code, message: e.message }));
      await scorer.close?.(); busy.close(); ok.close();
      console.log(JSON.stringify(r));`);
    expect(out).toEqual({ worker: true });
  });

  it('a clock stepped back 1 day: an upstream node refused once is tried again after its back-off (was shunned for the day)', async () => {
    const out = await runWithSteppableClock(`${step}
      const { createServer } = await import('node:http');
      const { UpstreamPool } = await import('./src/proxy/pool.ts');
      const { upstreamSchema } = await import('./src/config/schema.ts');
      const node = () => { const s = createServer((_q, res) => res.end('{}')); return s; };
      const listen = (s, port = 0) => new Promise((r) => s.listen(port, '127.0.0.1', () => r(s.address().port)));
      const a = node(), b = node();
      const portA = await listen(a); await new Promise((r) => a.close(r)); // node a down: refused
      const portB = await listen(b);
      const p = new UpstreamPool(upstreamSchema.parse({ urls: ['http://127.0.0.1:' + portA, 'http://127.0.0.1:' + portB], connectTimeoutMs: 2000, headersTimeoutMs: 5000 }));
      const ask = async () => { const r = await p.request({ method: 'GET', path: '/_cluster/health' }); await r.body.dump(); return r.node; };
      await ask(); await ask(); // one of them refused on a and retried on b: a is marked down
      stepClock('-1d');
      const back = node(); await listen(back, portA); // a is back
      let reachedA = 0;
      for (let i = 0; i < 30 && reachedA === 0; i++) { if ((await ask()).endsWith(':' + portA)) reachedA++; else await new Promise((r) => setTimeout(r, 100)); }
      await p.close(); back.close(); b.close();
      console.log(JSON.stringify({ reachedA: reachedA > 0 }));`);
    expect(out).toEqual({ reachedA: true });
  });

  it('a clock stepped back 1 day: readiness probes the cluster again after its 2 s reuse and sees it gone (was the old probe for the day)', async () => {
    const out = await runWithSteppableClock(`${step}
      const { health } = await import('./src/api/health.ts');
      let reachable = true;
      const engine = { probe: async () => [{ node: 'http://es:9200', reachable }], info: async () => undefined };
      const deps = { engine, startedAt: performance.now(), probeTimeoutMs: 1000 };
      const first = (await health(deps, 'ready')).status;
      stepClock('-1d');
      reachable = false; // the cluster goes away
      await new Promise((r) => setTimeout(r, 2_500)); // past the reuse (an ordering wait)
      const later = (await health(deps, 'ready')).status;
      console.log(JSON.stringify({ first, later }));`);
    expect(out).toEqual({ first: 200, later: 503 });
  });

  it('a clock stepped back 1 day: the disk tier evicts the entries written before the step, not the fresh ones', async () => {
    const out = await runWithSteppableClock(`${step}
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { DiskTier } = await import('./src/features/store/disk-tier.ts');
      const dir = mkdtempSync(join(tmpdir(), 'vlr-disk-step-'));
      const t = await DiskTier.open({ path: dir, maxBytes: 40_000 });
      const put = async (k, i) => { t.set(k, new Uint8Array(4_000).fill(i)); await t.flushed(); };
      for (let i = 0; i < 5; i++) await put('before' + i, i);
      stepClock('-1d');
      for (let i = 0; i < 5; i++) await put('after' + i, 10 + i); // 10 × 4 kB past 40 kB: evict down to 36 kB, oldest first
      const kept = (p) => [0, 1, 2, 3, 4].filter((i) => t.has(p + i)).length;
      const r = { before: kept('before'), after: kept('after') };
      await t.close(); rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify(r));`);
    expect(out).toEqual({ before: 3, after: 5 });
  });
});
