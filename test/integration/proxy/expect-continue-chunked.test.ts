/**
 * `Expect: 100-continue` (curl sends it for bodies over 1 KB) gets its interim 100 and then the
 * engine's answer; a chunked request body (no Content-Length) streams to the engine intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import { parseResponses, rawExchange } from '../../helpers/raw-http.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';
import type { RunningServer } from '../../../src/server/start.js';

const INDEX = 'vlr-it-expect';
let es: string;
let server: RunningServer;

const ndjson = scifactDocs(50)
  .map((d) => `{"index":{"_index":"${INDEX}","_id":"${d.id}"}}\n${JSON.stringify({ title: d.title })}\n`)
  .join('');

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  server = await startProxy([es]);
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
});
afterAll(async () => {
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  await server?.close();
});

describe('Expect: 100-continue and chunked bodies', () => {
  it('sends 100 Continue, then forwards the body and the answer', async () => {
    const head = `POST /_bulk?refresh=true&filter_path=errors,items.*.status HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(ndjson)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    // the body goes only after the interim answer, as a careful client does
    const data = await rawExchange(server.url, head, { onInterim: (write) => write(ndjson) });
    const [res] = parseResponses(data, ['POST']);
    expect(res!.interim).toEqual([100]);
    expect(res!.status).toBe(200);
    const body = JSON.parse(res!.body.toString()) as { errors: boolean; items: unknown[] };
    expect(body.errors).toBe(false);
    expect(body.items).toHaveLength(50);
  });

  it('streams a chunked request body to the engine', async () => {
    const chunks = ndjson.match(/[\s\S]{1,700}/g)!;
    const body = chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
    const req = `POST /${INDEX}/_bulk?refresh=true&filter_path=errors,items.*.result HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`;
    const [res] = parseResponses(await rawExchange(server.url, req), ['POST']);
    expect(res!.status).toBe(200);
    const parsed = JSON.parse(res!.body.toString()) as { errors: boolean; items: Array<{ index: { result: string } }> };
    expect(parsed.errors).toBe(false);
    expect(parsed.items).toHaveLength(50);
    const count = (await (await fetch(`${es}/${INDEX}/_count`)).json()) as { count: number };
    expect(count.count).toBe(50);
  });
});
