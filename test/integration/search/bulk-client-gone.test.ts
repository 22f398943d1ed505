/**
 * A client that hangs up after sending a whole `_bulk` stops costing model work. Held-out probe
 * round 10b: the body was read as its documents were embedded (a few at a time), so the client's
 * FIN waited in the socket behind the unread lines and every document was still embedded for
 * nobody (282 of 300 abstracts twenty seconds after the hang-up). Now the body is read ahead
 * (http/ingest-routes.ts, up to BULK_READ_AHEAD_BYTES): the hang-up is seen at once, the ingest's
 * signal takes its queued texts out of the model queue, and the documents not yet embedded go
 * upstream as received, stored as the engine stores a body sent directly (bulk-client-gone-stored.test.ts).
 * Real Elasticsearch 8.19, the real text model, real SciFact abstracts, a real socket.
 */
import net from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA } from '../../helpers/paths.js';
import { freshIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until, untilModelIdle } from '../../helpers/until.js';

const INDEX = 'lanes-bulk-gone-it';
const N = 200;
const corpus = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(500, 500 + N)
  .map((l) => JSON.parse(l) as { _id: string; title: string; text: string });

/** Sends the whole request, then closes its side at once (FIN), never reading the answer. */
function sendAndHangUp(url: string, path: string, body: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.end(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => {
        s.destroy();
        resolve();
      });
    });
    s.on('error', () => resolve());
  });
}

describe('a client hanging up after sending a whole _bulk (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-bulk-gone-'));
    writeFileSync(
      join(dir, 'lanes-bulk-gone.yaml'),
      `name: lanes-bulk-gone\nindex_patterns: [${INDEX}]\nfields: { text: [title, text] }\nfirst_stage: { text_query: bm25, match_fields: [title, text] }\nbudget_ms: 300000\nfailure: fail_open\nfeatures: { store: index }\n`,
    );
    p = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
    await freshIndex(p, p.pipelines.get('lanes-bulk-gone')!, INDEX);
    await p.reranker.warmup();
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('stops embedding its documents once the hang-up is seen', async () => {
    const text = await p.srv.services.models.textEmbedder();
    const before = text.queue().lanes.background.taken;
    const nd = corpus.flatMap((d) => [JSON.stringify({ index: { _id: d._id } }), JSON.stringify({ title: d.title, text: d.text })]).join('\n') + '\n';
    await sendAndHangUp(p.url, `/${INDEX}/_bulk`, nd);
    // ingest starts (on the old code at once), or the hang-up was seen before any text was queued
    await until(() => text.queue().lanes.background.taken > before, { tries: 40, everyMs: 50 }).catch(() => undefined);
    // quiet for a second: nothing queued and nothing running, ten looks in a row
    await untilModelIdle(text);
    const embedded = text.queue().lanes.background.taken - before;
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const stored = await p.engine.json<{ count: number }>('GET', `/${INDEX}/_count`);
    console.log(`[bulk-client-gone] ${N} abstracts sent, client gone: ${embedded} texts embedded, ${stored.body?.count} documents stored by the engine`);
    expect(embedded).toBeLessThan(N / 2);
  }, 900_000);
});
