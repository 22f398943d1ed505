/**
 * A client that hangs up after sending a whole `_bulk` has it stored, as the engine stores it sent
 * directly. Held-out probe round 10b: once the hang-up stopped the ingest at once
 * (bulk-client-gone.test.ts), the upstream request was cut with it and none of the documents was
 * stored — Elasticsearch 8.19 sent the same body directly stores 200 of 200. Now the documents not
 * yet embedded go upstream as received (no records: backfill adds them), the upstream request
 * completes and its answer is dropped. A body cut short is still cut upstream (the engine stores
 * nothing of a cut body). Real Elasticsearch 8.19, the real text model, SciFact abstracts, a real socket.
 */
import net from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA } from '../../helpers/paths.js';
import { freshIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until, untilModelIdle } from '../../helpers/until.js';

const INDEX = 'bulk-gone-stored-it';
const N = 200;
const K = 20; // documents sent (and embedded) before the rest and the hang-up
const corpus = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(900, 900 + N)
  .map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
const ndjson = (docs: typeof corpus) => docs.map((d) => `${JSON.stringify({ index: { _id: d._id } })}\n${JSON.stringify({ title: d.title, text: d.text })}\n`).join('');

describe('a client hanging up after sending a whole _bulk has it stored (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-bulk-gone-stored-'));
    writeFileSync(
      join(dir, 'bulk-gone-stored.yaml'),
      `name: bulk-gone-stored\nindex_patterns: [${INDEX}*]\nfields: { text: [title, text] }\nfirst_stage: { text_query: bm25, match_fields: [title, text] }\nbudget_ms: 300000\nfailure: fail_open\nfeatures: { store: index }\n`,
    );
    p = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
    await freshIndex(p, p.pipelines.get('bulk-gone-stored')!, INDEX);
    await freshIndex(p, p.pipelines.get('bulk-gone-stored')!, `${INDEX}-cut`);
    await p.reranker.warmup();
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/${INDEX}-cut`);
    await p?.close();
  });

  const count = async (index: string, query?: unknown) => {
    await p.engine.json('POST', `/${index}/_refresh`);
    return (await p.engine.json<{ count: number }>('POST', `/${index}/_count`, query ? { query } : {})).body?.count ?? -1;
  };
  const quietModel = async () => untilModelIdle(await p.srv.services.models.textEmbedder());

  it('stores every document: those embedded before the hang-up with records, the rest as received', async () => {
    const text = await p.srv.services.models.textEmbedder();
    const before = text.queue().lanes.background.taken;
    const first = ndjson(corpus.slice(0, K));
    const rest = ndjson(corpus.slice(K));
    const { hostname, port } = new URL(p.url);
    const s = net.connect(Number(port), hostname);
    await new Promise((r) => s.once('connect', r));
    s.on('error', () => undefined);
    s.write(`POST /${INDEX}/_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(first) + Buffer.byteLength(rest)}\r\n\r\n${first}`);
    // the first K documents embedded (the rest of the body not sent yet)
    await until(() => text.queue().lanes.background.taken > before, { tries: 600, everyMs: 100, what: 'ingest started' });
    await quietModel();
    await new Promise<void>((r) => s.end(rest, () => r()));
    s.destroy();
    await quietModel();

    const field = p.pipelines.get('bulk-gone-stored')!.features.keyField;
    let stored = 0;
    await until(async () => (stored = await count(INDEX)) === N, { tries: 300, everyMs: 200, what: `all ${N} documents stored (last count: ${stored})` }).catch(() => undefined);
    const withRecords = await count(INDEX, { exists: { field } });
    const firstWithRecords = await count(INDEX, { bool: { filter: [{ exists: { field } }, { ids: { values: corpus.slice(0, K).map((d) => d._id) } }] } });
    console.log(`[bulk-client-gone-stored] ${N} abstracts sent, client gone after ${K} were embedded: ${stored} stored, ${withRecords} with records (${firstWithRecords} of the first ${K})`);
    expect(stored).toBe(N);
    expect(firstWithRecords).toBe(K);
    expect(withRecords).toBeLessThan(N / 2); // the rest went as received: backfill adds their records
    // counted (and logged) once the engine answered: the documents that went without records
    const gone = async () => Number(/vlrerank_failures_total\{code="ingest:client_gone"\} (\d+)/.exec(await (await fetch(`${p.url}/_vlrerank/metrics`)).text())?.[1] ?? 0);
    await until(async () => (await gone()) > 0, { tries: 100, everyMs: 100 }).catch(() => undefined);
    expect(await gone()).toBe(N - withRecords);
  }, 900_000);

  it('stores nothing of a body cut short, as the engine stores nothing of it', async () => {
    const text = await p.srv.services.models.textEmbedder();
    const before = text.queue().lanes.background.taken;
    const body = ndjson(corpus.slice(0, 40));
    const { hostname, port } = new URL(p.url);
    const s = net.connect(Number(port), hostname);
    await new Promise((r) => s.once('connect', r));
    s.on('error', () => undefined);
    // 50 bytes promised that never come
    s.write(`POST /${INDEX}-cut/_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(body) + 50}\r\n\r\n${body}`);
    await until(() => text.queue().lanes.background.taken > before, { tries: 600, everyMs: 100, what: 'ingest started' }).catch(() => undefined);
    s.destroy();
    await quietModel();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count(`${INDEX}-cut`)).toBe(0);
  }, 900_000);
});
