/**
 * The queue's per-client share behind the documented balancer (held-out probe round 14e). vlrerank
 * tells clients apart by `x-vlrerank-client`, else the connection's address — behind docs/haproxy.cfg
 * every connection is the balancer's, so all clients together were one client: with
 * `clientShare` 0.5 they shared half of `maxQueued`, and a third client's call was refused
 * (`client_share`, 429) with half the queue free. docs/haproxy.cfg now names each client by its own
 * address (`http-request set-header x-vlrerank-client %[src]`, replacing any the client sent).
 * Debian's HAProxy from that file, three clients on their own loopback addresses (127.0.0.2–4), the
 * real models; the one running slot is held by a real permit of the server's admission controller.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startHaproxy, type RunningHaproxy } from '../../helpers/haproxy.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { until } from '../../helpers/until.js';

let srv: RunningServer;
let haproxy: RunningHaproxy;

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.maxConcurrentRequests': 1, 'rerank.admission.maxQueued': 4, 'rerank.admission.clientShare': 0.5, 'rerank.warmup': false });
  haproxy = await startHaproxy([srv.url]);
}, 120_000);
afterAll(async () => {
  await haproxy?.stop();
  await srv?.close();
});

/** A `/v1/rerank` call from the given local address (a client machine of its own). */
function rerankFrom(localAddress: string, n: number): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ query: `oat milk ${n}`, documents: [`oat drink ${n}`, `red apple ${n}`] });
  const u = new URL(`${haproxy.url}/v1/rerank`);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const queued = async () => ((await (await fetch(`${srv.url}/_vlrerank/health`)).json()) as { rerank_admission: { queued: number } }).rerank_admission.queued;

it('three clients behind HAProxy each get their own share of the queue', async () => {
  const held = await srv.services.reranker.admission!.acquire({ cost: 1, kind: 'held-by-test' });
  const calls: Array<Promise<{ status: number; body: string }>> = [];
  try {
    for (const [i, addr] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) {
      calls.push(rerankFrom(addr, i));
      // one at a time, so the queue holds the earlier ones when the next arrives
      await until(async () => (await queued()) === i + 1 || (await Promise.race([calls[i]!.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20))])), { tries: 600, everyMs: 50, what: `call ${i + 1} queued or answered` });
    }
  } finally {
    held.release();
  }
  const out = await Promise.all(calls);
  expect(out.map((o) => o.status), out.map((o) => o.body).join('\n')).toEqual([200, 200, 200]);
}, 120_000);
