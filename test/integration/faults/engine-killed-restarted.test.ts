/**
 * The engine behind vlrerank frozen, then killed and restarted under load (issue 13 §6), with a
 * real Elasticsearch 8.19 node of the test's own (test/helpers/own-engine.ts; the shared engines
 * are never touched), real models and one vlrerank that is never restarted:
 * - frozen (SIGSTOP: a node that accepts connections and never answers): plain and reranked
 *   searches answer an ES-shaped 504 at `upstream.headersTimeoutMs` while `/_vlrerank/health`
 *   keeps answering; thawed, the same searches answer 200;
 * - killed (SIGKILL) mid-load: every search in flight or sent while it is down is answered — 200
 *   or an ES-shaped 502/503/504 — none is lost; health says red; the pool's sockets to the dead
 *   node close; restarted on its data folder, the next searches (plain and reranked) answer 200
 *   from the same vlrerank, and each of the node's two pools (passthrough, vlrerank's own) stays
 *   within `upstream.connectionsPerNode`.
 * Starting a JVM takes 20–70 s on these machines, twice here: the slowest file of the faults set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { connectionsTo, startOwnElasticsearch, type OwnEngine } from '../../helpers/own-engine.js';
import { titlesBehindVlrerank } from '../../helpers/own-engine-proxy.js';

const INDEX = 'faults-engine-it';
const PER_NODE = 8;
let es: OwnEngine;
let srv: RunningServer;

beforeAll(async () => {
  es = await startOwnElasticsearch('faults-engine');
  await es.start();
  srv = await titlesBehindVlrerank(es, INDEX, 'faults-engine', { upstream: { headersTimeoutMs: 3_000, connectionsPerNode: PER_NODE }, store: { disk: {} } });
}, 400_000);

afterAll(async () => {
  await srv?.close();
  await es?.close();
});

interface Answer {
  status: number;
  body: any;
}
/** A search through vlrerank; rejects only when no answer came (a lost search). */
async function search(reranked: boolean): Promise<Answer> {
  const body = reranked ? { size: 4, query: { match: { title: 'milk' } }, ext: { vlrerank: { query: 'oat milk', pipeline: 'faults-engine', window: 8 } } } : { size: 4, query: { match: { title: 'milk' } } };
  const r = await fetch(`${srv.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return { status: r.status, body: await r.json() };
}
function expectEsError(a: Answer, statuses: number[]): void {
  expect(statuses).toContain(a.status);
  expect(a.body).toMatchObject({ status: a.status, error: { type: expect.any(String), reason: expect.any(String) } });
}
async function until(cond: () => boolean | Promise<boolean>, what: string, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never: ${what}`);
}

describe('an engine of our own, frozen then killed and restarted', () => {
  it('frozen: searches answer ES-shaped 504 at the header time-out, health answers; thawed: 200 again', { timeout: 120_000 }, async () => {
    expect((await search(true)).status).toBe(200);
    es.signal('SIGSTOP');
    try {
      const pending = [search(false), search(true)];
      const h = await fetch(`${srv.url}/_vlrerank/health`, { signal: AbortSignal.timeout(30_000) });
      expect([200, 503]).toContain(h.status); // answered while the engine hangs
      const [plain, reranked] = await Promise.all(pending);
      expectEsError(plain!, [504]);
      expect(plain!.body.error.type).toBe('upstream_timeout_exception');
      expectEsError(reranked!, [504]);
    } finally {
      es.signal('SIGCONT');
    }
    const again = await search(true);
    expect(again.status).toBe(200);
    expect(again.body.vlrerank.degraded).toBe(false);
    expect((await search(false)).status).toBe(200);
  });

  it('killed mid-load: no search lost, each answered 200 or ES-shaped 5xx; restarted: the same vlrerank recovers, sockets bounded', { timeout: 400_000 }, async () => {
    const answers: Answer[] = [];
    let stop = false;
    let killedAt = -1;
    const client = async (k: number) => {
      for (let i = 0; !stop; i++) answers.push(await search((i + k) % 2 === 0));
    };
    const clients = Array.from({ length: 4 }, (_, k) => client(k));
    await until(() => answers.length >= 8, '8 answers before the kill');
    killedAt = answers.length;
    es.signal('SIGKILL');
    await es.exited();
    await until(() => answers.length >= killedAt + 12, '12 answers after the kill');
    stop = true;
    await Promise.all(clients); // resolves only when every search was answered: none lost
    expect(answers.slice(0, killedAt).every((a) => a.status === 200)).toBe(true);
    const after = answers.slice(killedAt);
    for (const a of after) if (a.status !== 200) expectEsError(a, [502, 503, 504]);
    expect(after.filter((a) => a.status !== 200).length).toBeGreaterThanOrEqual(8);

    const health = await fetch(`${srv.url}/_vlrerank/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as any).status).toBe('red');
    await until(() => connectionsTo(es.port) === 0, 'the pool closes its sockets to the dead node');

    await es.start();
    expect((await es.get(`/_cluster/health/${INDEX}?wait_for_status=yellow&timeout=60s`)).body.status).toMatch(/yellow|green/);
    const plain = await search(false);
    expect(plain.status).toBe(200);
    expect(plain.body.hits.hits.length).toBeGreaterThan(0);
    const reranked = await search(true);
    expect(reranked.status).toBe(200);
    expect(reranked.body.vlrerank.degraded).toBe(false);
    const burst = await Promise.all(Array.from({ length: 24 }, (_, i) => search(i % 2 === 0)));
    expect(burst.map((a) => a.status)).toEqual(burst.map(() => 200));
    expect(connectionsTo(es.port)).toBeLessThanOrEqual(2 * PER_NODE); // two pools of PER_NODE: passthrough and vlrerank's own
    expect(connectionsTo(es.port)).toBeGreaterThan(0);
    await until(async () => (await fetch(`${srv.url}/_vlrerank/health`)).status === 200, 'health green again');
  });
});
