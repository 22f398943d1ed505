/**
 * The library's `mediaAllowHosts` (held-out probe round 11b): a media URL on a private or loopback
 * host (an internal CDN, a MinIO) is refused by the SSRF guard, whose message says to allow it with
 * `media.allowHosts` — a setting of the server the library had no way to give. A photo served by a
 * host of the test's own on 127.0.0.1: refused without the option (the refusal names it), scored with it.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';
import { closeLocal, listenLocal } from '../helpers/local-host.js';
import { DATA } from '../helpers/paths.js';

const photo = readFileSync(join(DATA, 'coco-captions-mini/images/val2017/000000022192.jpg'));
let host: Server;
let url: string;
beforeAll(async () => {
  host = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo));
  url = `${await listenLocal(host)}/dog.jpg`;
});
afterAll(() => closeLocal(host));

describe('process() and media URLs on a private host', { timeout: 120_000 }, () => {
  it('refused without mediaAllowHosts, scored with it', async () => {
    const input = { query: { text: 'a dog on a bed' }, documents: [{ image: url }] };
    const closed = testReranker();
    const open = testReranker({ mediaAllowHosts: ['127.0.0.1'] });
    try {
      const refused = await closed.process(input);
      expect(refused.errors[0]).toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
      // the refusal names the option this caller can set (not only the server's setting)
      expect(refused.errors[0]!.reason).toContain('mediaAllowHosts');
      const scored = await open.process(input);
      expect(scored.errors).toEqual([]);
      expect(scored[0]!.score).toBeGreaterThan(0.3);
    } finally {
      await Promise.all([closed.close(), open.close()]);
    }
  });
});
