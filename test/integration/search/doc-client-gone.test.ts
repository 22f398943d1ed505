/**
 * A client that hangs up after sending a single document with a photo (`_doc`) has it stored, as
 * the engine stores it sent directly (checked with the `_bulk` fix of held-out probe round 10b);
 * `_doc`, `_create` and `_update` whose client hangs up while the photo is fetched too, with their
 * vectors (issue 13: the name is covered by a pattern, no alias lookup; the vectors are computed
 * for the write that still goes upstream). Real Elasticsearch 8.19, the real image models, grocery
 * photos, real sockets; a media host of the test's own holds the photos until the test lets them
 * go (a slow host is the fault played).
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { catalog, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'grocery-doc-gone-it';

function sendAndHangUp(url: string, path: string, body: string, method = 'PUT'): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname, () => {
      s.end(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => {
        s.destroy();
        resolve();
      });
    });
    s.on('error', () => resolve());
  });
}

describe('a client hanging up after sending a _doc with a photo (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  /** Photo requests held by the slow media host, answered on `release()`. */
  const held: Array<() => void> = [];
  const host = createServer((req, res: ServerResponse) => {
    const c = catalog[Number(/\/(\d+)\.jpg$/.exec(req.url ?? '')?.[1] ?? 0)]!;
    const photo = readFileSync(groceryDoc(c).image as string);
    held.push(() => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(photo.length) }).end(photo));
  });
  let hostUrl: string;
  beforeAll(async () => {
    hostUrl = await listenLocal(host);
    p = await startSearchProxy('elasticsearch', { media: { allowHosts: ['127.0.0.1'] } });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
    await closeLocal(host);
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

  it('_doc, _create and _update whose client hangs up while the photo is fetched are stored, with their vectors', async () => {
    const stored = async (id: string, image: string) => {
      let src: any;
      await until(
        async () => {
          src = (await p.engine.json<any>('GET', `/${INDEX}/_doc/${id}`)).body?._source;
          return src?.image === image && !!src.image_vector;
        },
        { tries: 600, everyMs: 100, what: `${id} stored with its vectors` },
      ).catch(() => undefined);
      return src;
    };
    const writes = [
      { id: 'slow-doc', method: 'PUT', path: `/${INDEX}/_doc/slow-doc`, image: `${hostUrl}/1.jpg`, body: (image: string) => ({ ...groceryDoc(catalog[1]!), image }) },
      { id: 'slow-create', method: 'PUT', path: `/${INDEX}/_create/slow-create`, image: `${hostUrl}/2.jpg`, body: (image: string) => ({ ...groceryDoc(catalog[2]!), image }) },
      { id: 'gone-1', method: 'POST', path: `/${INDEX}/_update/gone-1`, image: `${hostUrl}/3.jpg`, body: (image: string) => ({ doc: { image } }) },
    ];
    for (const w of writes) {
      const before = held.length;
      // vlrerank's end of this connection closed: the hang-up seen (no other connection opens meanwhile)
      const closed = new Promise((r) => p.srv.server.once('connection', (sock) => sock.once('close', r)));
      await sendAndHangUp(p.url, w.path, JSON.stringify(w.body(w.image)), w.method);
      await until(() => held.length > before, { tries: 600, everyMs: 100, what: `${w.id}: the photo asked for` });
      await closed; // the hang-up reached vlrerank mid-fetch
      for (const go of held.splice(0)) go();
      const src = await stored(w.id, w.image);
      expect(src?.image, `${w.id} stored`).toBe(w.image);
      expect(src?.image_vector, `${w.id} has its vectors`).toHaveLength(1280);
    }
  }, 300_000);
});
