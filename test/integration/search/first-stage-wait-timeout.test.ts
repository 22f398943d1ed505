/**
 * A reranked search's first stage waits as long as the client's own `timeout` asks (`_search?timeout=`
 * or the body's `timeout`), as a passthrough search does since held-out probe round 17a: it was cut
 * at `upstream.headersTimeoutMs` with a 504 whatever the client asked, and the node marked down
 * (fix18, a 17a leftover). A real Elasticsearch 8.19 node of the test's own (own-engine.ts), frozen
 * (SIGSTOP: it accepts the requests and answers nothing) past the headers time-out while the
 * searches wait, then thawed: each answers the engine's hits, reranked. A search that names no
 * `timeout` still gets the 504 at the headers time-out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startOwnElasticsearch, type OwnEngine } from '../../helpers/own-engine.js';
import { titlesBehindVlrerank } from '../../helpers/own-engine-proxy.js';

const INDEX = 'f18-first-stage-wait';
const HEADERS_TIMEOUT_MS = 1_000;
let es: OwnEngine;
let srv: RunningServer;

beforeAll(async () => {
  es = await startOwnElasticsearch('f18-wait');
  await es.start();
  srv = await titlesBehindVlrerank(es, INDEX, 'f18-wait', { upstream: { headersTimeoutMs: HEADERS_TIMEOUT_MS } });
}, 400_000);

afterAll(async () => {
  await srv?.close();
  await es?.close();
});

const ext = { vlrerank: { query: 'oat milk', pipeline: 'f18-wait', window: 8 } };
async function search(qs: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}/${INDEX}/_search${qs}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  return { status: r.status, body: await r.json() };
}

describe("a reranked search's first stage and the client's own timeout", () => {
  it('waits past the headers time-out for `?timeout=` and a body `timeout`, as passthrough does; without one, the 504', { timeout: 120_000 }, async () => {
    const query = { match: { title: 'milk' } };
    const before = await search('', { size: 4, query, ext });
    expect(before.status).toBe(200);
    expect(before.body.vlrerank.degraded).toBe(false);
    const reranked = before.body.hits.hits.map((h: { _id: string }) => h._id);

    es.signal('SIGSTOP');
    let thawed = false;
    try {
      const inPath = search('?timeout=30s', { size: 4, query, ext });
      const inBody = search('', { size: 4, query, ext, timeout: '30s' });
      const passthrough = search('?timeout=30s', { size: 4, query });
      const none = search('', { size: 4, query, ext });
      // the search that asked for no wait is cut at the headers time-out, as before
      const cut = await none;
      expect(cut.status).toBe(504);
      expect(cut.body.error.type).toBe('upstream_timeout_exception');
      // frozen a while past the headers time-out, then thawed: those that asked for 30 s are answered
      await new Promise((r) => setTimeout(r, 2 * HEADERS_TIMEOUT_MS));
      es.signal('SIGCONT');
      thawed = true;
      for (const a of [await inPath, await inBody]) {
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        expect(a.body.vlrerank.degraded).toBe(false);
        expect(a.body.hits.hits.map((h: { _id: string }) => h._id)).toEqual(reranked);
      }
      expect((await passthrough).status).toBe(200);
    } finally {
      if (!thawed) es.signal('SIGCONT');
    }
  });
});
