/**
 * A reranked search whose budget runs out while it waits in the admission queue is refused by
 * admission control — the 429 with `Retry-After` of issue 13 (fail_closed), `degraded: "overloaded"`
 * (fail_open) — not the 503 (or `degraded: "timeout"`) of a budget spent reranking. Held-out probe
 * round 21b saw three fail_closed searches answer 503 at their 10 s budget beside a 1-slot server:
 * the search's own budget timer and admission's queue timer end at the same instant, and the budget's
 * won the race. Here the one rerank slot is held by a `/v1/rerank` whose photo a real HTTP server
 * started here holds back (media are read inside the slot), so the search surely waits in the queue
 * for the whole of its budget. Real Elasticsearch 8.19, the real models.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { freshIndex, pipelinesDir, startSearchProxy, SWEET_DOCS, type SearchProxy } from '../../helpers/search-fixtures.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[3]!)));
const pipeline = (name: string, failure: string) => `name: ${name}
index_patterns: [${name}-*]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
failure: ${failure}
budget_ms: 120000
`;

describe('a search whose budget ends in the admission queue is refused by admission (elasticsearch)', () => {
  let p: SearchProxy;
  let host: Server;
  let hostUrl: string;
  const held: ServerResponse[] = [];
  let asked = 0;
  beforeAll(async () => {
    host = createServer((_req, res) => {
      asked++;
      held.push(res);
    });
    hostUrl = await listenLocal(host);
    p = await startSearchProxy('elasticsearch', {
      pipelinesDir: pipelinesDir({ 'closed.yaml': pipeline('f21b-closed', 'fail_closed'), 'open.yaml': pipeline('f21b-open', 'fail_open') }),
      media: { allowHosts: ['127.0.0.1'] },
      rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 4, maxQueueWaitMs: 120_000 } },
    });
    for (const name of ['f21b-closed', 'f21b-open']) {
      await freshIndex(p, p.pipelines.get(name)!, `${name}-it`);
      const lines = SWEET_DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: `${name}-it`, _id: String(i) } }), JSON.stringify(d)]);
      await p.engine.json('POST', '/_bulk?refresh=true', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' });
    }
  }, 300_000);
  afterAll(async () => {
    for (const r of held) r.destroy();
    await p?.engine.json('DELETE', '/f21b-closed-it');
    await p?.engine.json('DELETE', '/f21b-open-it');
    await p?.close();
    await closeLocal(host);
  });

  const search = (index: string, budgetMs?: number) =>
    fetch(`${p.url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { text: 'sweet' } }, ext: { vlrerank: { budget_ms: budgetMs ?? 60_000 } } }) });

  it('fail_closed: 429 with Retry-After; fail_open: degraded overloaded', { timeout: 300_000 }, async () => {
    // the models warm, and admission's service times known: both searches reranked with the slot free
    for (const i of ["f21b-closed-it", "f21b-open-it"]) {
      const r = await search(i);
      expect(r.status, await r.clone().text()).toBe(200);
    }
    // the one slot held: a rerank whose photo the host holds back
    const holder = fetch(`${p.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'oat milk', documents: [{ text: 'oat', image: `${hostUrl}/held.jpg` }] }) });
    while (asked === 0) await new Promise((r) => setTimeout(r, 20));

    const closed = await search('f21b-closed-it', 1500);
    const body = (await closed.json()) as any;
    expect(closed.status, JSON.stringify(body)).toBe(429);
    expect(Number(closed.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(body.error.vlrerank_code ?? body.error.type).toMatch(/VLR_OVERLOADED|es_rejected_execution_exception/);

    const open = (await (await search('f21b-open-it', 1500)).json()) as any;
    expect(open.vlrerank.degraded, JSON.stringify(open.vlrerank)).toBe('overloaded');
    expect(open.hits.hits.length).toBeGreaterThan(0); // the first stage's order

    // the slot let go: the holder answers, and a search is reranked again
    for (const r of held.splice(0)) r.writeHead(200, { 'content-type': 'image/jpeg' }).end(PHOTO);
    expect((await holder).status).toBe(200);
    expect((await search('f21b-closed-it', 60_000)).status).toBe(200);
  });
});
