/**
 * The scorer pool with real workers: two `vlrerank serve --role worker` processes. One is killed
 * mid-load: every call is still answered (failover within the budget) and its breaker opens. A
 * worker that never answers (a fault fake, `HangingWorker`: a real worker cannot be made to hang on
 * demand) sits beside a real one: with hedging every call is answered within a budget shorter than
 * the hang, which failover alone could not do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RemoteScorer } from '../../../src/rerank/backends/remote.js';
import { spawnRerankProcess } from '../../helpers/rerank-server.js';

type Worker = Awaited<ReturnType<typeof spawnRerankProcess>>;
let a: Worker;
let b: Worker;

beforeAll(async () => {
  [a, b] = await Promise.all([spawnRerankProcess({ role: 'worker', mediaRoots: false }), spawnRerankProcess({ role: 'worker', mediaRoots: false })]);
}, 240_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

const docs = (i: number) => [`a photo of a dog number ${i}`, `a tax form, page ${i}`, `a cat on a sofa ${i}`];

it('a worker killed mid-load loses no call: failover within the budget, its breaker opens', { timeout: 300_000 }, async () => {
  const scorer = new RemoteScorer({ urls: [a.url, b.url], timeoutMs: 60_000, hedgeAfterMs: 0, healthIntervalMs: 0 });
  try {
    // warm both workers' text model
    await Promise.all([scorer.score({ query: { text: 'dog' }, documents: docs(-1).map((text) => ({ text })) }), scorer.score({ query: { text: 'dog' }, documents: docs(-2).map((text) => ({ text })) })]);
    let done = 0;
    const results: Array<{ ok: boolean; worker?: string; top?: number }> = [];
    const one = async (i: number) => {
      try {
        const r = await scorer.score({ query: { text: 'a dog' }, documents: docs(i).map((text) => ({ text })) });
        results.push({ ok: true, worker: r.worker, top: r.scores.indexOf(Math.max(...r.scores)) });
      } catch (e) {
        results.push({ ok: false, worker: (e as Error).message });
      }
      done++;
    };
    const all: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      all.push(one(i));
      if (i === 10) {
        while (done < 8) await new Promise((r) => setTimeout(r, 20));
        a.child.kill('SIGKILL');
      }
      if (i % 4 === 3) await Promise.all(all.slice(-4));
    }
    await Promise.all(all);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results).toHaveLength(40);
    expect(results.every((r) => r.top === 0)).toBe(true);
    // after the kill only b answers, and a is out
    expect(results.slice(-10).every((r) => r.worker === b.url)).toBe(true);
    expect(scorer.status().find((s) => s.worker === a.url)!.state).not.toBe('closed');
  } finally {
    await scorer.close();
  }
});

/** Accepts connections and requests and never answers them. */
class HangingWorker {
  server: Server = createServer(() => undefined);
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

it('hedging answers within the budget although one worker hangs', { timeout: 300_000 }, async () => {
  const hang = new HangingWorker();
  const hangUrl = await hang.start();
  // budget 8 s per call; the hang would eat all of it; hedge to the other worker after 300 ms
  const scorer = new RemoteScorer({ urls: [hangUrl, b.url], timeoutMs: 8_000, hedgeAfterMs: 300, healthIntervalMs: 0, breakerThreshold: 1000 });
  try {
    const out = await Promise.all(Array.from({ length: 8 }, (_, i) => scorer.score({ query: { text: 'a dog' }, documents: docs(100 + i).map((text) => ({ text })) }).then((r) => r.worker)));
    expect(out.every((w) => w === b.url)).toBe(true);
  } finally {
    await scorer.close();
    await hang.stop();
  }
});

it('without hedging and with the hang first, the budget runs out: what hedging prevents', { timeout: 120_000 }, async () => {
  const hang = new HangingWorker();
  const hangUrl = await hang.start();
  const scorer = new RemoteScorer({ urls: [hangUrl], timeoutMs: 1_500, hedgeAfterMs: 0, healthIntervalMs: 0 });
  try {
    await expect(scorer.score({ query: { text: 'a dog' }, documents: [{ text: 'x' }] })).rejects.toMatchObject({ code: 'VLR_REMOTE_SCORER' });
  } finally {
    await scorer.close();
    await hang.stop();
  }
});
