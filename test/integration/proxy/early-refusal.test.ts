/**
 * An upstream that answers a write before reading its body — an authenticating gateway's 401/403
 * (Debian's HAProxy, test/helpers/tenant-gateway.ts, in front of Elasticsearch 8.19), or
 * Elasticsearch's own 413 for a body past `http.max_content_length` (100 MB) — answers, then
 * closes the connection while vlrerank is still uploading the streamed body. vlrerank answered
 * those **502 `write EPIPE`** (or ECONNRESET), passthrough and `_bulk` ingest alike, counted an
 * upstream connection failure and marked the node down (held-out probe round 13a, left). The
 * client now gets the upstream's answer as sent; the gateway sees each write once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { answer } from '../../helpers/compare.js';
import { useEngine } from '../../helpers/engines.js';
import { startTenantGateway, type TenantGateway } from '../../helpers/tenant-gateway.js';
import { until } from '../../helpers/until.js';

/** vlrerank on `urls`: `ingest` reads `_bulk` action by action (the repo's pipelines), else none. */
function startVlrerank(urls: string[], ingest: boolean): Promise<RunningServer> {
  return startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls },
      log: { level: 'silent', access: false },
      rerank: { warmup: false },
      ...(ingest ? {} : { pipelines: { dir: mkdtempSync(join(tmpdir(), 'vlr-no-pipelines-')) } }),
    }),
  );
}

/**
 * The upstream connection failures vlrerank counted: a node is marked down exactly when one is
 * (pool.ts `#failed`), and a refusal is an answer, not a node down.
 */
async function connectionFailures(url: string): Promise<string[]> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  return text.split('\n').filter((l) => /^vlrerank_upstream_errors_total\{code="(EPIPE|ECONNRESET|UND_ERR_SOCKET)"\}/.test(l));
}

/** ~2 MB of `_bulk` operations for an index of tenant B (who may only read it). */
const operations = Array.from({ length: 8000 }, (_, i) => [{ index: { _index: 'p13a-b-early', _id: `e${i}` } }, { title: 'the quick brown fox jumps over the lazy dog '.repeat(4), n: i }]).flat();

/** `size` bytes of `_bulk` NDJSON generated as it is read (never held whole), sent with its Content-Length. */
function bigBulk(size: number): Readable {
  const line = Buffer.from('{"index":{"_index":"early-refusal-413"}}\n{"title":"the quick brown fox jumps over the lazy dog","n":12345}\n');
  const block = Buffer.concat(Array.from({ length: Math.floor((256 * 1024) / line.length) }, () => line));
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const chunk = left >= block.length ? block : block.subarray(0, left);
      left -= chunk.length;
      this.push(chunk);
    },
  });
}
async function sendBig(url: string, size = 101 * 1024 * 1024): Promise<{ status: number; body: string; challenge: unknown }> {
  const r = await request(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-length': String(size) }, body: bigBulk(size) });
  return { status: r.statusCode, body: await r.body.text(), challenge: r.headers['www-authenticate'] };
}

describe.each([
  ['passthrough', false],
  ['ingest', true],
] as const)('%s', (_name, ingest) => {
  let engine: string;
  let gw: TenantGateway;
  let v: RunningServer;
  let onEngine: RunningServer;
  beforeAll(async () => {
    engine = await useEngine('elasticsearch');
    gw = await startTenantGateway(engine);
    v = await startVlrerank([gw.url], ingest);
    onEngine = await startVlrerank([engine], ingest);
  });
  afterAll(async () => {
    await v?.close();
    await onEngine?.close();
    await gw?.stop();
  });

  it('a gateway that refuses a large _bulk before reading it: its 401 (with WWW-Authenticate) or 403 as sent, each write sent once, no node down', { timeout: 300_000 }, async () => {
    let sent = 0; // the gateway's _bulk lines so far
    for (const auth of [undefined, { username: 'alice', password: 'wrong' }, { username: 'bob', password: 'bob-pw' }]) {
      // no retries of its own: one call, one request
      const client = (url: string) => new Client({ node: url, maxRetries: 0, ...(auth ? { auth } : {}) });
      // the gateway refuses on the headers alone: directly, a small body (whose answer no upload races)
      const straight = await answer(client(gw.url).bulk({ operations: operations.slice(0, 2) }));
      // the gateway logs as it answers: its line for the direct call first
      const bulks = () => gw.lines().filter((l) => l.startsWith('POST /_bulk'));
      await until(() => bulks().length === sent + 1, { tries: 600, everyMs: 50, what: 'the gateway logged the direct _bulk' });
      const before = bulks().length;
      const via = await answer(client(v.url).bulk({ operations }));
      expect(straight.statusCode).toBe(auth?.username === 'bob' ? 403 : 401);
      expect(via.statusCode, auth?.username).toBe(straight.statusCode);
      expect(via.body, auth?.username).toEqual(straight.body);
      expect(via.headers?.['www-authenticate'], auth?.username).toEqual(straight.headers?.['www-authenticate']);
      // the gateway saw vlrerank's write once (nothing retried), refused as directly
      await until(() => bulks().length > before, { tries: 600, everyMs: 50, what: "the gateway logged vlrerank's _bulk" });
      expect(bulks().slice(before), auth?.username).toEqual([`POST /_bulk ${straight.statusCode} who=${auth?.username === 'bob' ? 'b' : '-'}`]);
      sent = bulks().length;
    }
    // one client, its connections kept alive: each refused write leaves its connection able to
    // carry the next request (the rest of the upload is drained; it was left unread and the next
    // request on that connection hung until the client's time-out)
    const keptAlive = new Client({ node: v.url, maxRetries: 0 });
    for (let i = 0; i < 3; i++) expect((await answer(keptAlive.bulk({ operations }))).statusCode).toBe(401);
    await keptAlive.close();
    // streamed by the client as well (raw undici), a few times: the refusal races the upload
    const small = await request(`${gw.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"index":{"_index":"p13a-b-early"}}\n{}\n' });
    const straight = { status: small.statusCode, body: await small.body.text(), challenge: small.headers['www-authenticate'] };
    expect(straight.status).toBe(401);
    for (let i = 0; i < 4; i++) expect(await sendBig(v.url, 16 * 1024 * 1024)).toEqual(straight);
    expect(await connectionFailures(v.url)).toEqual([]);
  });

  it('Elasticsearch 8.19 refusing a streamed 101 MB _bulk past http.max_content_length: its early 413 as sent, no node down', { timeout: 300_000 }, async () => {
    const straight = await sendBig(engine);
    expect(straight.status).toBe(413);
    expect(await sendBig(onEngine.url)).toEqual(straight);
    expect(await connectionFailures(onEngine.url)).toEqual([]);
  });
});
