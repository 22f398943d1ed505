/**
 * A client that goes away mid-exchange costs nothing lasting: the upstream exchange is cut too
 * (no orphaned upload or download keeps running), and the proxy keeps serving.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { bulkSink, type Sink } from '../../helpers/upstream-fakes.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningServer } from '../../../src/server/start.js';

let sink: Sink;
let server: RunningServer;

beforeAll(async () => {
  sink = await bulkSink();
  server = await startProxy([sink.url]);
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('client goes away', () => {
  it('mid-upload: the upstream request is cut as well', async () => {
    const before = sink.aborted;
    const u = new URL(server.url);
    const s = connect(Number(u.port), u.hostname);
    await new Promise((r) => s.once('connect', r));
    s.write('POST /vlr-abort/_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = '{"index":{}}\n{"a":1}\n'.repeat(5000);
    s.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
    // the `_bulk` itself upstream (`hits` also counts the proxy's own engine probes: the client was
    // sometimes cut before its request left, nothing to abort, and the wait ran out)
    await until(() => sink.bulks > 0);
    s.destroy();
    await until(() => sink.aborted > before);
    const ok = await request(`${server.url}/vlr-abort/_bulk`, { method: 'POST', body: '{"index":{}}\n{"a":1}\n' });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });

  it('mid-download: the upstream answer stops streaming', async () => {
    const before = sink.aborted;
    const r = await request(`${server.url}/_big?bytes=${500 * 1024 * 1024}`);
    expect(r.statusCode).toBe(200);
    for await (const _ of r.body) break; // first chunk, then drop the connection
    await until(() => sink.aborted > before);
    const ok = await request(`${server.url}/_big?bytes=10`);
    expect(await ok.body.text()).toBe('x'.repeat(10));
  });
});
