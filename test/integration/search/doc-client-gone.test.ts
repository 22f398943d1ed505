/**
 * A client that hangs up after sending a single document with a photo (`_doc`) has it stored, as
 * the engine stores it sent directly (checked with the `_bulk` fix of held-out probe round 10b).
 * Real Elasticsearch 8.19, the real image models, a grocery photo, a real socket.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'grocery-doc-gone-it';

function sendAndHangUp(url: string, path: string, body: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.end(`PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => {
        s.destroy();
        resolve();
      });
    });
    s.on('error', () => resolve());
  });
}

describe('a client hanging up after sending a _doc with a photo (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch');
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('is stored, with its vectors', async () => {
    const doc = groceryDoc(catalog[0]!);
    await sendAndHangUp(p.url, `/${INDEX}/_doc/gone-1`, JSON.stringify(doc));
    let src: any;
    await until(
      async () => {
        const r = await p.engine.json<any>('GET', `/${INDEX}/_doc/gone-1`);
        src = r.body?._source;
        return !!src;
      },
      { tries: 600, everyMs: 100, what: 'the document stored' },
    ).catch(() => undefined);
    expect(src?.title).toBe(doc.title);
    expect(src?.image_vector).toHaveLength(1280);
  }, 300_000);
});
